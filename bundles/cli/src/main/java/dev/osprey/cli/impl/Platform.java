package dev.osprey.cli.impl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import dev.osprey.api.dataset.DatasetService;
import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.hardware.DeviceSelector;
import dev.osprey.api.jobs.JobService;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.api.plugin.PluginInventory;
import dev.osprey.api.plugin.PluginState;
import dev.osprey.cli.spi.CommandContribution;

/**
 * The platform services the commands use, and Osprey's own settings ({@code conf/osprey.properties}
 * under {@code osprey.home}, overridable by system properties).
 */
@Component(service = Platform.class)
public class Platform {

    static final String HOME_PROPERTY = "osprey.home";

    @Reference
    PluginInventory inventory;

    @Reference
    ExtensionRegistry extensions;

    @Reference
    DeviceSelector devices;

    @Reference
    ModelRegistry models;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    volatile ConfigurationAdmin configurationAdmin;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    volatile EngineRuntime engine;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    volatile JobService jobs;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    volatile DatasetService datasets;
    /** Bundles that add subcommands (Osprey's devtools, third parties). */
    @Reference(
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile List<CommandContribution> contributions;

    BundleContext context;
    private final Properties settings = new Properties();

    @Activate
    void activate(BundleContext bundleContext) throws IOException {
        this.context = bundleContext;
        String home = bundleContext.getProperty(HOME_PROPERTY);
        if (home != null) {
            Path file = Path.of(home, "conf", "osprey.properties");
            if (Files.isRegularFile(file)) {
                try (InputStream in = Files.newInputStream(file)) {
                    settings.load(in);
                }
            }
        }
    }

    /** The tensor engine, or a clear error when it failed to start. */
    EngineRuntime requireEngine() {
        EngineRuntime runtime = engine;
        if (runtime == null) {
            throw new IllegalStateException("the tensor engine is not running; `osprey plugins --local` shows why");
        }
        return runtime;
    }

    /** The job service that runs training, or a clear error when its bundle is not running. */
    JobService requireJobs() {
        JobService service = jobs;
        if (service == null) {
            throw new IllegalStateException(
                    "the job service (bundle dev.osprey.jobs) is not running; `osprey plugins --local` shows why");
        }
        return service;
    }

    /** The dataset reader, or a clear error when its bundle is not running. */
    DatasetService requireDatasets() {
        DatasetService service = datasets;
        if (service == null) {
            throw new IllegalStateException(
                    "the dataset service (bundle dev.osprey.dataset) is not running; `osprey plugins --local` shows why");
        }
        return service;
    }

    /** A setting: a system or framework property wins over conf/osprey.properties. */
    String setting(String key, String defaultValue) {
        String value = context.getProperty(key);
        return value != null ? value : settings.getProperty(key, defaultValue);
    }

    /**
     * The inventory once the hot-deploy scanner has had its first look at the plugins folder (no plugin
     * in transition), or after {@code maxWaitMillis}.
     */
    List<PluginInfo> settledPlugins(long maxWaitMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + maxWaitMillis;
        List<PluginInfo> plugins = inventory.plugins();
        while (System.currentTimeMillis() < deadline && !settled(plugins)) {
            Thread.sleep(100);
            plugins = inventory.plugins();
        }
        return plugins;
    }

    private static boolean settled(List<PluginInfo> plugins) {
        return plugins.stream().noneMatch(p -> p.state() == PluginState.TRANSITIONING);
    }
}
