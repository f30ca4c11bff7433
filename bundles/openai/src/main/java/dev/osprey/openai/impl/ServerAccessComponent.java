package dev.osprey.openai.impl;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Hashtable;
import java.util.Map;
import java.util.function.Supplier;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

import jakarta.servlet.Filter;

/**
 * The API key of {@code osprey serve} and {@code osprey web-ui}, present while configuration {@value #PID}
 * exists: the same {@link AccessFilter} and {@link AccessPolicy} as a served model's, over every route of the
 * HTTP server ({@code /api/jobs}, {@code /api/plugins}, ...), the web UI's pages excepted. The key is read as
 * {@code deploy} reads it ({@code api_key}, {@code api_key_file}, {@code OSPREY_API_KEY}, {@code VLLM_API_KEY});
 * without one every route is open. No model is served here, so there are no admin routes to guard.
 */
@Component(
        immediate = true,
        configurationPid = ServerAccessComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ServerAccessDefinition.class)
public class ServerAccessComponent {

    static final String PID = "dev.osprey.access";

    /** The filter's whiteboard name, which {@code osprey serve} waits for before it opens the port. */
    static final String FILTER_NAME = "osprey-server-access";

    private static final Logger LOG = System.getLogger(ServerAccessComponent.class.getName());

    /** No model, no request bodies of our own: the default limits bound what a refusal reads of a body. */
    private final StallWatchdog watchdog = new StallWatchdog();

    private volatile AccessPolicy policy;
    private final ServiceRegistration<Filter> filter;

    @Activate
    public ServerAccessComponent(BundleContext context, Map<String, Object> properties) {
        policy = read(properties, System.getenv());
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("osgi.http.whiteboard.filter.pattern", "/*");
        props.put("osgi.http.whiteboard.filter.name", FILTER_NAME);
        filter = context.registerService(Filter.class, filter(() -> policy, watchdog), props);
    }

    /** The filter refusing as the OpenAI server does: its error object, 401 with {@code WWW-Authenticate}. */
    static AccessFilter filter(Supplier<AccessPolicy> policy, StallWatchdog watchdog) {
        return new AccessFilter(
                policy,
                (request, response, e) -> OpenAiServlet.refuse(request, response, ServerLimits.DEFAULTS, watchdog, e));
    }

    /**
     * The policy of configuration {@value #PID}: the API key on every route but the health checks and the
     * web UI's pages.
     *
     * @param environment where {@code OSPREY_API_KEY} and {@code VLLM_API_KEY} are looked up
     */
    static AccessPolicy read(Map<String, ?> properties, Map<String, String> environment) {
        AccessPolicy read = new AccessPolicy(ServingConfig.apiKey(PID, properties, environment), "", false, false);
        Object host = properties.get("host");
        if (host != null
                && ServingConfig.bindsBeyondLoopback(host.toString())
                && read.apiKey().isEmpty()) {
            LOG.log(
                    Level.WARNING,
                    "the server listens on " + host + " without an API key: anyone who can reach it can submit"
                            + " jobs and install plugins; set --api_key_file FILE or OSPREY_API_KEY");
        }
        return read;
    }

    @Modified
    void modified(Map<String, Object> properties) {
        policy = read(properties, System.getenv());
    }

    @Deactivate
    void deactivate() {
        filter.unregister();
    }
}
