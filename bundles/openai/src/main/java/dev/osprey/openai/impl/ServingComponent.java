package dev.osprey.openai.impl;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Hashtable;
import java.util.Map;
import java.util.Objects;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.InferenceBackend;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.ExtensionListener;
import dev.osprey.api.plugin.ExtensionRegistry;

import jakarta.servlet.Filter;
import jakarta.servlet.Servlet;

/**
 * The OpenAI-compatible server, present while configuration {@value ServingConfig#PID} exists: it owns
 * the current session (opened on the configured backend, found by name in the extension registry),
 * publishes {@link OpenAiServlet} on the HTTP Whiteboard with an {@link AccessFilter} over every route, swaps backends on a configuration change or
 * an admin request, and stops sending requests to a backend whose bundle goes away.
 */
@Component(
        service = ServingComponent.class,
        immediate = true,
        configurationPid = ServingConfig.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ServingConfigDefinition.class)
public class ServingComponent {

    private static final Logger LOG = System.getLogger(ServingComponent.class.getName());

    private final ExtensionRegistry registry;
    private final SessionSwitch sessions;
    private final ServingMetrics metrics;
    private volatile ServingConfig config;
    private ServiceRegistration<Servlet> servlet;
    private ServiceRegistration<Filter> filter;
    private ServiceRegistration<ExtensionListener> listener;

    @Activate
    public ServingComponent(
            @Reference ExtensionRegistry registry, BundleContext context, Map<String, Object> properties) {
        this.registry = registry;
        this.config = ServingConfig.read(properties);
        this.sessions = new SessionSwitch(this::openOn);
        this.metrics = new ServingMetrics(
                () -> config.options().servedName(), () -> sessions.current().flatMap(a -> a.session.stats()));
        warnIfOpen(config);
        OpenAiServlet api = new OpenAiServlet(sessions, metrics, () -> config, this::use);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("osgi.http.whiteboard.servlet.pattern", OpenAiServlet.PATTERNS);
        props.put("osgi.http.whiteboard.servlet.name", "osprey-openai");
        servlet = context.registerService(Servlet.class, api, props);
        Hashtable<String, Object> filterProps = new Hashtable<>();
        filterProps.put("osgi.http.whiteboard.filter.pattern", "/*");
        filterProps.put("osgi.http.whiteboard.filter.name", "osprey-openai-access");
        filter = context.registerService(Filter.class, api.accessFilter(), filterProps);
        listener = context.registerService(ExtensionListener.class, new BackendWatcher(), null);
        openInBackground(config);
    }

    /** A session on the named backend, holding the backend's handle until the session is closed. */
    private SessionSwitch.Opened openOn(String backend, BackendOptions options) throws Exception {
        ExtensionHandle<InferenceBackend> handle = registry.require(InferenceBackend.class, backend);
        try {
            return new SessionSwitch.Opened(handle.get().open(options), handle);
        } catch (Exception | Error e) {
            handle.close();
            throw e;
        }
    }

    /** Loading a model can take minutes: do it off the configuration thread; /health says 503 meanwhile. */
    private void openInBackground(ServingConfig target) {
        sessions.setUnavailableReason(
                "the server is loading " + target.options().model() + " on backend '" + target.backend() + "'");
        Thread t = new Thread(
                () -> {
                    try {
                        sessions.open(target.backend(), target.options());
                        LOG.log(
                                Level.INFO,
                                "serving " + target.options().servedName() + " on backend '" + target.backend() + "'");
                    } catch (Exception e) {
                        sessions.setUnavailableReason("backend '" + target.backend() + "' could not serve "
                                + target.options().model() + ": " + e.getMessage());
                        // the message names what is missing; the stack trace only for failures without one
                        LOG.log(
                                Level.ERROR,
                                "backend '" + target.backend() + "' could not serve "
                                        + target.options().model() + ": " + e.getMessage(),
                                e.getMessage() == null ? e : null);
                    }
                },
                "osprey-openai-open");
        t.setDaemon(true);
        t.start();
    }

    @Modified
    void modified(Map<String, Object> properties) {
        ServingConfig previous = config;
        ServingConfig next = ServingConfig.read(properties);
        config = next;
        warnIfOpen(next);
        if (!Objects.equals(previous.backend(), next.backend())
                || !Objects.equals(previous.options(), next.options())) {
            openInBackground(next);
        }
    }

    /** Swaps to {@code backend} with the same model and settings; returns once the new session serves. */
    public void use(String backend) throws Exception {
        ServingConfig current = config;
        sessions.open(backend, current.options());
        config = current.withBackend(backend);
    }

    /** Anyone who can reach a server bound beyond loopback can use it when it has no key. */
    static void warnIfOpen(ServingConfig config) {
        if (config.bindsBeyondLoopback() && config.access().apiKey().isEmpty()) {
            LOG.log(
                    Level.WARNING,
                    "the OpenAI server listens on " + config.host() + " without an API key: anyone who can reach it can"
                            + " use it; set --api_key_file FILE or OSPREY_API_KEY");
        }
    }

    /** The backend serving now, or empty text when none. */
    public String currentBackend() {
        return sessions.current().map(a -> a.backend).orElse("");
    }

    @Deactivate
    void deactivate() {
        listener.unregister();
        filter.unregister();
        servlet.unregister();
        sessions.close();
    }

    /** Stops routing to a backend whose bundle went away, and reopens when the configured one comes back. */
    private final class BackendWatcher implements ExtensionListener {
        @Override
        public void added(ExtensionInfo extension) {
            if (extension.kind() == ExtensionKind.INFERENCE_BACKEND
                    && extension.name().equals(config.backend())
                    && sessions.current().isEmpty()) {
                openInBackground(config);
            }
        }

        @Override
        public void removed(ExtensionInfo extension) {
            if (extension.kind() == ExtensionKind.INFERENCE_BACKEND
                    && sessions.current()
                            .map(a -> a.backend.equals(extension.name()))
                            .orElse(false)) {
                sessions.retire("backend '" + extension.name() + "' went away (" + extension.bundleSymbolicName()
                        + " stopped); install it again or switch with POST /v1/admin/backend");
            }
        }
    }
}
