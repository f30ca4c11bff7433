package dev.osprey.devtools.impl;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.hardware.DeviceSelector;
import dev.osprey.api.model.ModelService;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.cli.spi.CommandContribution;

/**
 * Osprey's developer commands for {@code osprey}: {@code logits}, {@code generate}, {@code create-model},
 * {@code benchmark} and {@code benchmark-train}. They need the engine's internals (the decoder, its layers, the
 * sampler, the trainer), which the command line itself does not import; the services they share are held here.
 */
@Component(service = CommandContribution.class)
public class DevTools implements CommandContribution {

    @Reference
    ExtensionRegistry extensions;

    @Reference
    ModelService modelService;

    @Reference
    DeviceSelector devices;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    volatile EngineRuntime engine;

    @Override
    public List<Object> newCommands() {
        List<DevCommand> commands = List.of(
                new LogitsCommand(),
                new GenerateCommand(),
                new CreateModelCommand(),
                new BenchmarkCommand(),
                new TrainBenchmarkCommand());
        commands.forEach(command -> command.platform = this);
        return List.copyOf(commands);
    }

    /** The tensor engine, or a clear error when it failed to start. */
    EngineRuntime requireEngine() {
        EngineRuntime runtime = engine;
        if (runtime == null) {
            throw new IllegalStateException("the tensor engine is not running; `osprey plugins --local` shows why");
        }
        return runtime;
    }
}
