package dev.osprey.kernel.impl;

import java.io.File;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.resource.Namespace;
import org.osgi.resource.Requirement;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.api.plugin.PluginInventory;
import dev.osprey.api.plugin.PluginState;

/**
 * The plugin inventory: installed bundles with their extensions, plus files of the hot-deploy folder
 * that could not be installed, each failed plugin with the reason.
 */
@Component(service = PluginInventory.class, immediate = true)
public class PluginInventoryImpl implements PluginInventory {

    /** FileInstall's folder setting; the hot-deploy folder of this platform. */
    static final String PLUGINS_DIR_PROPERTY = "felix.fileinstall.dir";

    /** FileInstall's poll interval setting, in milliseconds. */
    static final String POLL_PROPERTY = "felix.fileinstall.poll";

    private final long startedAt = System.currentTimeMillis();
    private final Map<Long, String> frameworkErrors = new ConcurrentHashMap<>();
    private final FrameworkListener errorListener = this::frameworkEvent;
    private BundleContext context;

    @Reference
    ExtensionRegistryImpl registry;

    @Reference
    ModelRegistryExtender models;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    volatile ServiceComponentRuntime scr;

    @Activate
    void activate(BundleContext bundleContext) {
        this.context = bundleContext;
        bundleContext.addFrameworkListener(errorListener);
    }

    @Deactivate
    void deactivate() {
        context.removeFrameworkListener(errorListener);
    }

    private void frameworkEvent(FrameworkEvent event) {
        if (event.getType() == FrameworkEvent.ERROR && event.getBundle() != null && event.getThrowable() != null) {
            frameworkErrors.put(
                    event.getBundle().getBundleId(),
                    String.valueOf(event.getThrowable().getMessage()));
        }
    }

    /** The hot-deploy folder, or null when this framework has none. */
    Path pluginsDir() {
        String dir = context.getProperty(PLUGINS_DIR_PROPERTY);
        return dir == null || dir.isBlank()
                ? null
                : Path.of(dir).toAbsolutePath().normalize();
    }

    @Override
    public List<PluginInfo> plugins() {
        Path pluginsDir = pluginsDir();
        Map<String, List<ExtensionInfo>> extensionsByBundle = new HashMap<>();
        for (ExtensionInfo info : registry.all()) {
            extensionsByBundle
                    .computeIfAbsent(info.bundleSymbolicName() + "@" + info.bundleVersion(), k -> new ArrayList<>())
                    .add(info);
        }
        List<PluginInfo> result = new ArrayList<>();
        Set<Path> installedFiles = new HashSet<>();
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getBundleId() == 0) {
                continue;
            }
            Path file = fileOf(bundle.getLocation());
            boolean hotDeployed = pluginsDir != null && file != null && file.startsWith(pluginsDir);
            if (file != null) {
                installedFiles.add(file);
            }
            List<String> problems = new ArrayList<>();
            PluginState state = stateOf(bundle, problems);
            List<ExtensionInfo> extensions =
                    extensionsByBundle.getOrDefault(bundle.getSymbolicName() + "@" + bundle.getVersion(), List.of());
            problems.addAll(clashes(extensions));
            result.add(new PluginInfo(
                    bundle.getBundleId(),
                    String.valueOf(bundle.getSymbolicName()),
                    bundle.getVersion().toString(),
                    state,
                    bundle.getLocation(),
                    hotDeployed,
                    extensions,
                    problems));
        }
        if (pluginsDir != null) {
            result.addAll(PluginFiles.notInstalled(
                    pluginsDir, installedFiles, scanGraceMillis(), System.currentTimeMillis() - startedAt));
        }
        result.sort(Comparator.comparing(PluginInfo::hotDeployed).thenComparing(PluginInfo::symbolicName));
        return result;
    }

    /** Extensions of this bundle whose kind and name another bundle provides too. */
    private List<String> clashes(List<ExtensionInfo> extensions) {
        List<String> clashes = new ArrayList<>();
        List<ExtensionInfo> all = registry.all();
        for (ExtensionInfo mine : extensions) {
            for (ExtensionInfo other : all) {
                if (other.serviceId() != mine.serviceId()
                        && other.kind() == mine.kind()
                        && other.name().equals(mine.name())) {
                    clashes.add(mine + " is also provided by " + other.bundleSymbolicName() + " "
                            + other.bundleVersion() + "; the service with the highest ranking is used");
                }
            }
        }
        return clashes;
    }

    /** How long the hot-deploy scanner may take to notice a file: two polls and a second. */
    private long scanGraceMillis() {
        String poll = context.getProperty(POLL_PROPERTY);
        return 2 * (poll == null ? 2000 : Long.parseLong(poll.trim())) + 1000;
    }

    private PluginState stateOf(Bundle bundle, List<String> problems) {
        String error = frameworkErrors.get(bundle.getBundleId());
        switch (bundle.getState()) {
            case Bundle.INSTALLED -> {
                List<String> missing = missingRequirements(bundle);
                if (!missing.isEmpty()) {
                    problems.addAll(missing);
                    return PluginState.FAILED;
                }
                if (System.currentTimeMillis() - Math.max(bundle.getLastModified(), startedAt) < scanGraceMillis()) {
                    return PluginState.TRANSITIONING; // installed a moment ago, about to be started
                }
                problems.add("could not be resolved (a uses constraint or a singleton clash; run with"
                        + " -Dfelix.log.level=4 for the resolver's report)");
                return PluginState.FAILED;
            }
            case Bundle.RESOLVED -> {
                if (error != null) {
                    problems.add(error);
                    return PluginState.FAILED;
                }
                return isFragment(bundle) ? PluginState.ACTIVE : PluginState.RESOLVED;
            }
            case Bundle.STARTING, Bundle.STOPPING -> {
                return PluginState.TRANSITIONING;
            }
            default -> {
                boolean failed = componentProblems(bundle, problems);
                List<String> broken = registry.brokenServices(bundle.getBundleId());
                problems.addAll(broken);
                problems.addAll(models.problems(bundle.getBundleId()));
                return failed || !broken.isEmpty() ? PluginState.FAILED : PluginState.ACTIVE;
            }
        }
    }

    private static boolean isFragment(Bundle bundle) {
        return bundle.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
    }

    /** The requirements no installed bundle can satisfy, in words. */
    private List<String> missingRequirements(Bundle bundle) {
        List<String> reasons = new ArrayList<>();
        BundleRevision revision = bundle.adapt(BundleRevision.class);
        FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        if (revision != null && wiring != null) {
            for (Requirement requirement : revision.getRequirements(null)) {
                if (Namespace.RESOLUTION_OPTIONAL.equals(
                                requirement.getDirectives().get(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE))
                        || requirement.getNamespace().startsWith("osgi.identity")) {
                    continue;
                }
                if (wiring.findProviders(requirement).isEmpty()) {
                    reasons.add(describe(requirement));
                }
            }
        }
        return reasons;
    }

    static String describe(Requirement requirement) {
        String filter = requirement.getDirectives().getOrDefault(Namespace.REQUIREMENT_FILTER_DIRECTIVE, "");
        if (PackageNamespace.PACKAGE_NAMESPACE.equals(requirement.getNamespace())) {
            return "imports a package that no installed bundle exports: " + filter;
        }
        return "missing requirement " + requirement.getNamespace() + ": " + filter;
    }

    /** Adds the failures DS reports for the bundle's components; true when one failed to activate. */
    private boolean componentProblems(Bundle bundle, List<String> problems) {
        ServiceComponentRuntime runtime = scr;
        if (runtime == null) {
            return false;
        }
        boolean failed = false;
        for (ComponentDescriptionDTO description : runtime.getComponentDescriptionDTOs(bundle)) {
            for (ComponentConfigurationDTO config : runtime.getComponentConfigurationDTOs(description)) {
                if (config.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                    failed = true;
                    problems.add("component " + description.name + " failed to activate: " + firstLine(config.failure));
                } else if (config.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE) {
                    for (var ref : config.unsatisfiedReferences) {
                        problems.add("component " + description.name + " waits for a " + ref.name + " service"
                                + (ref.target == null ? "" : " matching " + ref.target));
                    }
                }
            }
        }
        return failed;
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "unknown failure";
        }
        return Stream.of(text.split("\\R"))
                .filter(s -> !s.isBlank())
                .findFirst()
                .orElse(text)
                .trim();
    }

    /** The file behind a bundle location ({@code file:...} or {@code reference:file:...}), or null. */
    static Path fileOf(String location) {
        String l = location.startsWith("reference:") ? location.substring("reference:".length()) : location;
        if (!l.startsWith("file:")) {
            return null;
        }
        try {
            return Path.of(URI.create(l)).toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            File f = new File(l.substring("file:".length()));
            return f.toPath().toAbsolutePath().normalize();
        }
    }
}
