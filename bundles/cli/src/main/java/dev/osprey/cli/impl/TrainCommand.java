package dev.osprey.cli.impl;

import java.util.concurrent.Callable;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.SftJob;

/**
 * {@code osprey sft} and {@code osprey pt}: the options are {@link SftArguments}' (ms-swift's names and
 * aliases, also from {@code --config FILE}); the work is {@link SftJob}'s.
 */
abstract class TrainCommand extends PlatformCommand implements Callable<Integer> {

    abstract SftArguments.Stage stage();

    @Override
    public Integer call() throws Exception {
        SftArguments args = ArgumentOptions.parse(spec, stage()).validate(); // every argument checked before any work
        platform.devices.select(args.device());
        try (NDManager manager = platform.requireEngine().newManager(Device.cpu()); PlatformModels models = new PlatformModels(platform)) {
            TrainingProgress progress = new TrainingProgress(out(), System.console() != null, args.loggingSteps());
            new SftJob(args, models, progress).train(manager);
        }
        return 0;
    }
}
