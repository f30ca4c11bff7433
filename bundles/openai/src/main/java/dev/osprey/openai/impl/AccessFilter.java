package dev.osprey.openai.impl;

import java.io.IOException;
import java.util.function.Supplier;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Applies the {@link AccessPolicy} to every route of the HTTP server, those of other bundles included (such
 * as {@code /api/plugins}), so that an API key protects the whole server: registered by
 * {@link ServingComponent} while a model is served, and by {@link ServerAccessComponent} for
 * {@code osprey serve}. {@link OpenAiServlet} checks its own routes as well, so it is safe where no filter runs.
 */
final class AccessFilter implements Filter {

    /** Sends a refusal as OpenAI's error object. */
    @FunctionalInterface
    interface Refusal {
        void send(HttpServletRequest request, HttpServletResponse response, ApiException error) throws IOException;
    }

    private final Supplier<AccessPolicy> policy;
    private final Refusal refusal;

    /** @param policy the policy in force, read for every request */
    AccessFilter(Supplier<AccessPolicy> policy, Refusal refusal) {
        this.policy = policy;
        this.refusal = refusal;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (request instanceof HttpServletRequest http && response instanceof HttpServletResponse out) {
            String path = http.getRequestURI().substring(http.getContextPath().length());
            try {
                policy.get().check(http.getMethod(), path, http.getHeader("Authorization"));
            } catch (ApiException e) {
                refusal.send(http, out, e);
                return;
            }
        }
        chain.doFilter(request, response);
    }
}
