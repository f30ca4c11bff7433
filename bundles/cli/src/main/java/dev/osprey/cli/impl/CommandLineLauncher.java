package dev.osprey.cli.impl;

import java.util.Arrays;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * Runs the {@code osprey} command line when the platform was started by the launcher: the launcher
 * publishes its arguments as the {@code launcher.arguments} property of a service, and runs a
 * {@code Callable<Integer>} registered with {@code main.thread=true} on the JVM's main thread, taking
 * its result as the exit code. Inside tests (no launcher) this component stays inactive.
 */
@Component(immediate = true)
public class CommandLineLauncher {

    static final String LAUNCHER_ARGUMENTS = "launcher.arguments";

    @Reference
    Platform platform;

    private String[] arguments;
    private ServiceRegistration<?> registration;

    @Reference(service = Object.class, target = "(" + LAUNCHER_ARGUMENTS + "=*)")
    void bindLauncher(Map<String, Object> properties) {
        Object args = properties.get(LAUNCHER_ARGUMENTS);
        arguments = args instanceof String[] a ? a.clone() : new String[0];
    }

    @Activate
    void activate(BundleContext context) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("main.thread", Boolean.TRUE);
        registration = context.registerService(Callable.class, new MainThread(context, platform, arguments), props);
    }

    @Deactivate
    void deactivate() {
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // already gone with the framework
        }
    }

    /** A named class, not a lambda: the launcher checks by reflection that call() returns Integer. */
    static final class MainThread implements Callable<Integer> {
        private final BundleContext context;
        private final Platform platform;
        private final String[] arguments;

        MainThread(BundleContext context, Platform platform, String[] arguments) {
            this.context = context;
            this.platform = platform;
            this.arguments = arguments;
        }

        @Override
        public Integer call() throws InterruptedException {
            awaitBundlesStarted();
            int code = OspreyCommand.run(platform, arguments);
            System.out.flush();
            System.err.flush();
            // the launcher stops the framework after we return; exit now so that a slow bundle stop
            // cannot delay the shell prompt, and so the exit code is ours
            System.exit(code);
            return code;
        }

        /**
         * The launcher may call us while the framework is still climbing its start levels (that happens
         * asynchronously; each bundle of the distribution has a level of its own): wait until every bundle
         * set to start is active, or, should one fail to start, until the framework announces that it has
         * reached the highest of their levels.
         */
        private void awaitBundlesStarted() throws InterruptedException {
            int highest = Arrays.stream(context.getBundles())
                    .filter(this::setToStart)
                    .mapToInt(b -> b.adapt(BundleStartLevel.class).getStartLevel())
                    .max()
                    .orElse(1);
            FrameworkStartLevel level = context.getBundle(0).adapt(FrameworkStartLevel.class);
            AtomicBoolean levelReached = new AtomicBoolean();
            FrameworkListener listener = event -> {
                if (event.getType() == FrameworkEvent.STARTLEVEL_CHANGED && level.getStartLevel() >= highest) {
                    levelReached.set(true);
                }
            };
            context.addFrameworkListener(listener);
            try {
                long deadline = System.currentTimeMillis() + 60_000;
                int stablePolls = 0;
                int extensions = -1;
                // started, every component read by DS, and the set of extensions unchanged for a few polls
                // (DS registers services a moment after it reads the components)
                while (stablePolls < 4 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(25);
                    int now = platform.extensions.all().size();
                    boolean ready = (levelReached.get() || everyBundleStarted()) && componentsProcessed();
                    stablePolls = ready && now == extensions ? stablePolls + 1 : 0;
                    extensions = now;
                }
            } finally {
                context.removeFrameworkListener(listener);
            }
        }

        /** True when every bundle set to start is active. */
        private boolean everyBundleStarted() {
            return Arrays.stream(context.getBundles())
                    .filter(this::setToStart)
                    .allMatch(b -> b.getState() == Bundle.ACTIVE);
        }

        /** A bundle the launcher started (persistently), other than the framework; fragments never start. */
        private boolean setToStart(Bundle bundle) {
            return bundle.getBundleId() != 0
                    && bundle.getHeaders("").get(Constants.FRAGMENT_HOST) == null
                    && bundle.adapt(BundleStartLevel.class).isPersistentlyStarted();
        }

        /** True once Declarative Services has read the components of every active bundle that declares some. */
        private boolean componentsProcessed() {
            ServiceReference<ServiceComponentRuntime> ref = context.getServiceReference(ServiceComponentRuntime.class);
            if (ref == null) {
                return false;
            }
            ServiceComponentRuntime scr = context.getService(ref);
            try {
                for (Bundle b : context.getBundles()) {
                    if (b.getState() == Bundle.ACTIVE && b.getHeaders("").get("Service-Component") != null) {
                        var descriptions = scr.getComponentDescriptionDTOs(b);
                        if (descriptions.isEmpty()
                                || descriptions.stream()
                                        .anyMatch(d -> d.defaultEnabled
                                                && !"require".equals(d.configurationPolicy)
                                                && scr.getComponentConfigurationDTOs(d)
                                                        .isEmpty())) {
                            return false;
                        }
                    }
                }
                return true;
            } finally {
                context.ungetService(ref);
            }
        }
    }
}
