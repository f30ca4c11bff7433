package dev.osprey.kernel.impl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.resource.Capability;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.util.tracker.ServiceTracker;

import dev.osprey.api.Extension;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.ExtensionListener;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.api.plugin.PluginInventory;
import dev.osprey.api.plugin.PluginState;

/**
 * Tracks every service of every {@link ExtensionKind} (the whiteboard), names it, and tells
 * {@link ExtensionListener}s when one comes or goes. A service whose component fails to activate
 * yields no instance; it is remembered as broken so the inventory can name it.
 */
@Component(
        service = {ExtensionRegistry.class, ExtensionRegistryImpl.class},
        immediate = true)
public class ExtensionRegistryImpl implements ExtensionRegistry {

    private static final System.Logger LOG = System.getLogger(ExtensionRegistryImpl.class.getName());
    /** The OSGi namespace of declared services (osgi.namespace.service, not on this bundle's build path). */
    private static final String SERVICE_NAMESPACE = "osgi.service";

    /** The published extensions, by service id. */
    private final Map<Long, Tracked> tracked = new ConcurrentHashMap<>();
    /** Services of an extension kind that yielded no instance, by service id: the reason. */
    private final Map<Long, String> broken = new ConcurrentHashMap<>();

    private final List<ExtensionListener> listeners = new CopyOnWriteArrayList<>();
    /** Names the plugins that failed when an extension is missing; optional and dynamic, as it needs this registry itself. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PluginInventory inventory;

    private BundleContext context;
    private ServiceTracker<Extension, Tracked> tracker;

    private record Tracked(ServiceReference<Extension> reference, List<ExtensionInfo> infos) {}

    @Activate
    void activate(BundleContext bundleContext) throws InvalidSyntaxException {
        this.context = bundleContext;
        String filter = "(|"
                + Arrays.stream(ExtensionKind.values())
                        .map(k -> "(" + Constants.OBJECTCLASS + "=" + k.type().getName() + ")")
                        .collect(Collectors.joining())
                + ")";
        Filter f = bundleContext.createFilter(filter);
        tracker = new ServiceTracker<>(bundleContext, f, null) {
            @Override
            public Tracked addingService(ServiceReference<Extension> reference) {
                return track(reference);
            }

            @Override
            public void removedService(ServiceReference<Extension> reference, Tracked t) {
                untrack(reference, t);
            }
        };
        tracker.open(true);
    }

    @Deactivate
    void deactivate() {
        tracker.close();
    }

    private Tracked track(ServiceReference<Extension> reference) {
        long id = (Long) reference.getProperty(Constants.SERVICE_ID);
        Extension extension;
        try {
            extension = context.getService(reference);
        } catch (RuntimeException e) {
            extension = null;
        }
        if (extension == null) {
            // DS returns null when the component's activate threw; the inventory reports it
            broken.put(id, "its service could not be obtained (the component failed to activate)");
            return new Tracked(reference, List.of());
        }
        List<ExtensionInfo> infos = new ArrayList<>();
        try {
            String name = nameOf(reference, extension);
            String description = extension.description();
            for (ExtensionKind kind : ExtensionKind.values()) {
                if (kind.type().isInstance(extension)) {
                    infos.add(new ExtensionInfo(
                            kind,
                            name,
                            description,
                            reference.getBundle().getSymbolicName(),
                            reference.getBundle().getVersion().toString(),
                            id));
                }
            }
        } catch (RuntimeException e) {
            broken.put(id, "name() or description() threw " + e);
            context.ungetService(reference);
            return new Tracked(reference, List.of());
        }
        Tracked t = new Tracked(reference, List.copyOf(infos));
        tracked.put(id, t);
        infos.forEach(info -> notify(l -> l.added(info)));
        return t;
    }

    private void untrack(ServiceReference<Extension> reference, Tracked t) {
        long id = (Long) reference.getProperty(Constants.SERVICE_ID);
        broken.remove(id);
        if (tracked.remove(id) != null) {
            t.infos().forEach(info -> notify(l -> l.removed(info)));
        }
        try {
            context.ungetService(reference);
        } catch (IllegalStateException e) {
            // the kernel itself is stopping
        }
    }

    /** The service property {@code osprey.name} wins over {@link Extension#name()}. */
    private static String nameOf(ServiceReference<?> reference, Extension extension) {
        Object property = reference.getProperty("osprey.name");
        String name = property != null ? property.toString() : extension.name();
        if (name == null || name.isBlank()) {
            throw new IllegalStateException("the extension's name is empty");
        }
        return name;
    }

    private void notify(Consumer<ExtensionListener> call) {
        for (ExtensionListener listener : listeners) {
            try {
                call.accept(listener);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "extension listener " + listener + " threw", e);
            }
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(ExtensionListener listener) {
        listeners.add(listener);
        for (Tracked t : tracked.values()) {
            t.infos().forEach(info -> {
                try {
                    listener.added(info);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "extension listener " + listener + " threw", e);
                }
            });
        }
    }

    void removeListener(ExtensionListener listener) {
        listeners.remove(listener);
    }

    /** Why services of a bundle yielded no extension, for the inventory. */
    List<String> brokenServices(long bundleId) {
        return brokenServices(bundleId, null)
                .map(e -> {
                    Object component = e.getKey().getProperty("component.name");
                    return "service "
                            + (component != null ? component : e.getKey().getProperty(Constants.SERVICE_ID)) + ": "
                            + e.getValue();
                })
                .toList();
    }

    /** A bundle's services (of one kind, or of any when {@code kind} is null) that yielded no instance, with the reason. */
    private Stream<Map.Entry<ServiceReference<?>, String>> brokenServices(long bundleId, ExtensionKind kind) {
        List<Map.Entry<ServiceReference<?>, String>> found = new ArrayList<>();
        for (Map.Entry<Long, String> e : broken.entrySet()) {
            ServiceReference<?>[] refs;
            try {
                refs = context.getAllServiceReferences(
                        kind == null ? null : kind.type().getName(),
                        "(" + Constants.SERVICE_ID + "=" + e.getKey() + ")");
            } catch (InvalidSyntaxException ex) {
                throw new IllegalStateException(ex);
            }
            if (refs != null
                    && refs[0].getBundle() != null
                    && refs[0].getBundle().getBundleId() == bundleId) {
                found.add(Map.entry(refs[0], e.getValue()));
            }
        }
        return found.stream();
    }

    @Override
    public List<ExtensionInfo> list(ExtensionKind kind) {
        return all().stream().filter(i -> i.kind() == kind).toList();
    }

    @Override
    public List<ExtensionInfo> all() {
        return tracked.values().stream()
                .flatMap(t -> t.infos().stream())
                .sorted(Comparator.comparing((ExtensionInfo i) -> i.kind().ordinal())
                        .thenComparing(ExtensionInfo::name))
                .toList();
    }

    @Override
    public <T extends Extension> Optional<ExtensionHandle<T>> acquire(Class<T> type, String name) {
        ExtensionKind kind = ExtensionKind.of(type)
                .orElseThrow(() -> new IllegalArgumentException(type.getName() + " is not an extension kind"));
        // the highest ranking service wins a name clash, as the whiteboard pattern prescribes
        Optional<Tracked> best = tracked.values().stream()
                .filter(t -> t.infos().stream()
                        .anyMatch(i -> i.kind() == kind && i.name().equals(name)))
                .max(Comparator.comparing(Tracked::reference));
        if (best.isEmpty()) {
            return Optional.empty();
        }
        ServiceReference<Extension> reference = best.get().reference();
        Extension service = context.getService(reference);
        if (service == null) {
            return Optional.empty();
        }
        ExtensionInfo info = best.get().infos().stream()
                .filter(i -> i.kind() == kind)
                .findFirst()
                .orElseThrow();
        return Optional.of(new Handle<>(type.cast(service), info, reference));
    }

    @Override
    public <T extends Extension> ExtensionHandle<T> require(Class<T> type, String name) {
        return acquire(type, name).orElseThrow(() -> {
            ExtensionKind kind = ExtensionKind.of(type).orElseThrow();
            List<String> present =
                    list(kind).stream().map(ExtensionInfo::name).distinct().toList();
            return new IllegalArgumentException(MissingExtension.message(kind, name, present, notStarted(kind)));
        });
    }

    /**
     * The plugins that would provide this kind but provide nothing now (failed, stopped, still starting or
     * waiting), and the jars of the plugins folder that could not be installed (their kind is unknown).
     */
    private List<PluginInfo> notStarted(ExtensionKind kind) {
        PluginInventory plugins = inventory;
        if (plugins == null) {
            return List.of();
        }
        try {
            return plugins.plugins().stream()
                    .filter(p -> p.state() == PluginState.NOT_INSTALLED
                            ? p.symbolicName().endsWith(".jar")
                            : (p.state() != PluginState.ACTIVE || !p.problems().isEmpty())
                                    && declares(p.bundleId(), kind))
                    .toList();
        } catch (RuntimeException e) {
            // explaining is a courtesy: it must not hide the error it explains
            LOG.log(System.Logger.Level.WARNING, "listing the plugins that failed threw", e);
            return List.of();
        }
    }

    /**
     * Whether a bundle declares a service of this kind: an {@code osgi.service} capability (bnd writes one
     * for the services of each DS component, whether or not the bundle started), or a registered service
     * that yielded no instance.
     */
    private boolean declares(long bundleId, ExtensionKind kind) {
        Bundle bundle = context.getBundle(bundleId);
        BundleRevision revision = bundle == null ? null : bundle.adapt(BundleRevision.class);
        if (revision == null) {
            return false;
        }
        String type = kind.type().getName();
        for (Capability capability : revision.getCapabilities(SERVICE_NAMESPACE)) {
            Object classes = capability.getAttributes().get(Constants.OBJECTCLASS);
            if (classes instanceof Collection<?> names ? names.contains(type) : type.equals(classes)) {
                return true;
            }
        }
        return brokenServices(bundleId, kind).findAny().isPresent();
    }

    private final class Handle<T extends Extension> implements ExtensionHandle<T> {
        private final T instance;
        private final ExtensionInfo info;
        private final ServiceReference<Extension> reference;
        private final AtomicBoolean closed = new AtomicBoolean();

        Handle(T instance, ExtensionInfo info, ServiceReference<Extension> reference) {
            this.instance = instance;
            this.info = info;
            this.reference = reference;
        }

        @Override
        public T get() {
            return instance;
        }

        @Override
        public ExtensionInfo info() {
            return info;
        }

        @Override
        public boolean isAvailable() {
            return !closed.get() && tracked.containsKey(info.serviceId());
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                try {
                    context.ungetService(reference);
                } catch (IllegalStateException | IllegalArgumentException e) {
                    // the service or the kernel is already gone
                }
            }
        }
    }
}
