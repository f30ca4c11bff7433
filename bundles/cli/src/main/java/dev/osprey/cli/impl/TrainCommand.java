package dev.osprey.cli.impl;

import java.util.Locale;
import java.util.concurrent.Callable;

import dev.osprey.api.jobs.JobRequest;
import dev.osprey.train.sft.SftArguments;
import picocli.CommandLine.Option;

/**
 * {@code osprey sft} and {@code osprey pt}: the options are {@link SftArguments}' (ms-swift's names and
 * aliases, also from {@code --config FILE}); the work is the {@code sft} or {@code pt} training method's, run as a
 * job of the platform's job service.
 */
abstract class TrainCommand extends PlatformCommand implements Callable<Integer> {

    @Option(names = ArgumentOptions.SERVER, paramLabel = "URL", description = RemoteJob.SERVER_OPTION)
    String server;

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
        // checked here too, so that a mistake names the config file it came from, before any work
        SftArguments args = SftArguments.fromMap(values.values(), values.source()).stage(stage()).validate();
        String method = stage().name().toLowerCase(Locale.ROOT);
        if (server != null) {
            return RemoteJob.run(server, out(), method, values.values(), args.device(), args.loggingSteps());
        }
        JobRequest request = JobRequest.training(method, values.arguments(), platform.devices.select(args.device()));
        return LocalJob.run(platform, out(), request, args.loggingSteps());
    }
}
