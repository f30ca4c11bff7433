package dev.osprey.cli.impl;

import java.util.concurrent.Callable;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.PluginModels;
import dev.osprey.train.sft.SftJob;

/**
 * {@code osprey sft} and {@code osprey pt}: the options are {@link SftArguments}' (ms-swift's names and
 * aliases, also from {@code --config FILE}); the work is {@link SftJob}'s.
 */
abstract class TrainCommand extends PlatformCommand implements Callable<Integer> {

    abstract SftArguments.Stage stage();

    /** The demo that runs without --model and --dataset, or null when this stage has none. */
    java.nio.file.Path demoConfig() {
        return null;
    }

    /** {@code demo/NAME} under the Osprey home, when the distribution ships it. */
    java.nio.file.Path shippedDemo(String name) {
        String home = platform.setting(Platform.HOME_PROPERTY, null);
        java.nio.file.Path file = home == null ? null : java.nio.file.Path.of(home, "demo", name);
        return file != null && java.nio.file.Files.isRegularFile(file) ? file : null;
    }

    @Override
    public Integer call() throws Exception {
        return train(ArgumentOptions.values(spec, demoConfig()));
    }

    /** Runs the job of argument values by name. */
    Integer train(ArgumentOptions.Values values) throws Exception {
        SftArguments args = SftArguments.fromMap(values.values(), values.source()).stage(stage()).validate(); // before any work
        platform.devices.select(args.device());
        try (NDManager manager = platform.requireEngine().newManager(Device.cpu()); PluginModels models = new PluginModels(platform.extensions, platform.models,
                        new dev.osprey.hub.TerminalProgressBar())) {
            TrainingProgress progress = new TrainingProgress(out(), System.console() != null, args.loggingSteps());
            SftJob.Result result = new SftJob(args, models, progress).train(manager);
            if (result.plot() != null) {
                out().println("loss curves: " + result.plot().toAbsolutePath());
            }
        }
        return 0;
    }
}
