package dev.osprey.engine.impl;

import java.util.ArrayList;
import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.jni.LibUtils;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.EngineRuntime;

/**
 * Initialises DJL with the PyTorch engine and the tokenizers' native library, once per JVM, and
 * registers {@link EngineRuntime} itself once both work, so that no bundle ever sees the service of an
 * engine that failed to start. (A DS-declared service would be registered before activation.)
 */
@Component(
        immediate = true,
        service = {})
public class DjlEngineRuntime implements EngineRuntime {

    private static final System.Logger LOG = System.getLogger(DjlEngineRuntime.class.getName());
    static final String ENGINE = "PyTorch";

    private Engine engine;
    private ServiceRegistration<EngineRuntime> registration;

    @Activate
    void activate(BundleContext context) {
        long start = System.nanoTime();
        // DJL discovers engines (ServiceLoader) and native resources through the thread context class
        // loader; inside OSGi that is the launcher's loader, which sees none of them.
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(DjlEngineRuntime.class.getClassLoader());
        try {
            engine = Engine.getEngine(ENGINE);
            // load the tokenizers' native library now, with the right loader, so plugins need no TCCL care
            LibUtils.checkStatus();
            try (NDManager probe = engine.newBaseManager()) {
                probe.ones(new Shape(2, 2)).matMul(probe.ones(new Shape(2, 2)));
            }
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new IllegalStateException(
                    "the " + ENGINE + " engine could not start: " + e
                            + ". Osprey runs DJL offline (-Dai.djl.offline=true) from the natives embedded in the engine"
                            + " bundle (ai.djl.pytorch:pytorch-native-cpu, linux-x86_64); check that the cache folder"
                            + " (DJL_CACHE_DIR, default ~/.djl.ai) is writable and has ~500 MB free.",
                    e);
        } finally {
            thread.setContextClassLoader(previous);
        }
        LOG.log(
                System.Logger.Level.INFO,
                "DJL {0} with {1} {2} ready in {3} ms",
                djlVersion(),
                ENGINE,
                engine.getVersion(),
                (System.nanoTime() - start) / 1_000_000);
        registration = context.registerService(EngineRuntime.class, this, null);
    }

    @Deactivate
    void deactivate() {
        if (registration != null) {
            registration.unregister();
        }
    }

    @Override
    public String engineName() {
        return engine.getEngineName();
    }

    @Override
    public String engineVersion() {
        return engine.getVersion();
    }

    @Override
    public String djlVersion() {
        return Engine.getDjlVersion();
    }

    @Override
    public List<Device> devices() {
        List<Device> devices = new ArrayList<>();
        devices.add(Device.cpu());
        devices.addAll(List.of(engine.getDevices(engine.getGpuCount())).stream()
                .filter(Device::isGpu)
                .toList());
        return devices;
    }

    @Override
    public NDManager newManager(Device device) {
        return engine.newBaseManager(device);
    }
}
