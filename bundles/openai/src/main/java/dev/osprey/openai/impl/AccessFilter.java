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
 * Applies the {@link AccessPolicy} to every route of the HTTP server while it serves a model, those of
 * other bundles included (such as {@code /api/plugins}), so that an API key protects the whole server.
 * {@link OpenAiServlet} checks its own routes as well, so it is safe where no filter runs.
 */
final class AccessFilter implements Filter {

    /** Sends a refusal as OpenAI's error object. */
    @FunctionalInterface
    interface Refusal {
        void send(HttpServletRequest request, HttpServletResponse response, ServingConfig config, ApiException error)
                throws IOException;
    }

    private final Supplier<ServingConfig> config;
    private final Refusal refusal;

    AccessFilter(Supplier<ServingConfig> config, Refusal refusal) {
        this.config = config;
        this.refusal = refusal;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (request instanceof HttpServletRequest http && response instanceof HttpServletResponse out) {
            ServingConfig cfg = config.get();
            String path = http.getRequestURI().substring(http.getContextPath().length());
            try {
                cfg.access().check(http.getMethod(), path, http.getHeader("Authorization"));
            } catch (ApiException e) {
                refusal.send(http, out, cfg, e);
                return;
            }
        }
        chain.doFilter(request, response);
    }
}
