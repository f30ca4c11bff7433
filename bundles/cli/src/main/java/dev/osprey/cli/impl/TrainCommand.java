package dev.osprey.cli.impl;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.jobs.JobRequest;
import dev.osprey.api.plugin.ExtensionKind;

import picocli.CommandLine.Option;

/**
 * {@code osprey sft} and {@code osprey pt}: the options are the arguments the training method of that name
 * describes (ms-swift's names and aliases, also from {@code --config FILE}); the work is that method's, run as
 * a job of the platform's job service.
 */
abstract class TrainCommand extends PlatformCommand implements Callable<Integer> {

    @Option(names = ArgumentOptions.SERVER, paramLabel = "URL", description = RemoteJob.SERVER_OPTION)
    String server;

    /** The training method this command runs. */
    abstract String method();

    /** The demo that runs without --model and --dataset, or null when this command has none. */
    Path demoConfig() {
        return null;
    }

    /** {@code demo/NAME} under the Osprey home, when the distribution ships it. */
    Path shippedDemo(String name) {
        String home = platform.setting(Platform.HOME_PROPERTY, null);
        Path file = home == null ? null : Path.of(home, "demo", name);
        return file != null && Files.isRegularFile(file) ? file : null;
    }

    @Override
    public Integer call() throws Exception {
        TrainingMethods.require(platform.extensions, method());
        return train(platform, out(), method(), ArgumentOptions.values(spec, demoConfig()), server);
    }

    /**
     * Runs the job of {@code method} on argument values by name, here or on {@code server}: checked first by the
     * method, so that a mistake is named before any work.
     */
    static int train(Platform platform, PrintWriter out, String method, ArgumentOptions.Values values, String server)
            throws IOException, InterruptedException {
        List<ArgumentSpec> described = TrainingMethods.arguments(platform.extensions, method);
        Arguments arguments = values.arguments();
        checkTypes(described, arguments, values.source());
        TrainingMethods.validate(platform.extensions, method, arguments);
        String device = TrainingMethods.value(arguments, described, "device", "cpu");
        int loggingSteps = Integer.parseInt(TrainingMethods.value(arguments, described, "logging_steps", "5"));
        if (server != null) {
            return RemoteJob.run(
                    server, out, ExtensionKind.TRAINING_METHOD, method, values.values(), device, loggingSteps);
        }
        JobRequest request = JobRequest.training(method, arguments, platform.devices.select(device));
        return LocalJob.run(platform, out, request, loggingSteps);
    }

    /** A number or a boolean that does not parse, named with where it came from (the config file or the command line). */
    private static void checkTypes(List<ArgumentSpec> described, Arguments arguments, String source) {
        for (ArgumentSpec argument : described) {
            if (!arguments.has(argument.name())) {
                continue;
            }
            try {
                switch (argument.type()) {
                    case INTEGER -> arguments.getLong(argument.name(), 0);
                    case NUMBER -> arguments.getDouble(argument.name(), 0);
                    case BOOLEAN -> arguments.getBoolean(argument.name(), false);
                    default -> {}
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
            }
        }
    }
}
