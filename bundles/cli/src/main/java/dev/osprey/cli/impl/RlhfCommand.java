package dev.osprey.cli.impl;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.osprey.align.rlhf.RlhfArguments;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.jobs.JobRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code osprey rlhf}: alignment with ms-swift's arguments ({@code --rlhf_type dpo|kto|simpo|orpo|cpo|rm|grpo}
 * and the SFT ones, also from {@code --config FILE}); the work is the alignment method's of that name, run as a job
 * of the platform's job service. GRPO's
 * {@code --reward_funcs} are the installed reward plugins, taken by name for the whole job.
 */
@Command(name = "rlhf", mixinStandardHelpOptions = true, modelTransformer = RlhfArgumentOptions.class, sortOptions = false,
        description = "Alignment (DPO, KTO, SimPO, ORPO, CPO, reward model, GRPO) with ms-swift's arguments.")
public class RlhfCommand extends PlatformCommand implements Callable<Integer> {

    @Option(names = ArgumentOptions.SERVER, paramLabel = "URL", description = RemoteJob.SERVER_OPTION)
    String server;

    @Override
    public Integer call() throws Exception {
        return train(platform, out(), ArgumentOptions.values(spec, null), server);
    }

    /** Runs an alignment job from argument values by name (also for {@code osprey sft --task_type dpo}). */
    static int train(Platform platform, java.io.PrintWriter out, ArgumentOptions.Values values, String server) throws Exception {
        RlhfArguments args = RlhfArguments.fromMap(values.values(), values.source()).validate(); // before any work
        Map<String, Object> named = new LinkedHashMap<>(values.values());
        named.remove("rlhf_type"); // the method's name says it
        String method = args.type().name().toLowerCase(java.util.Locale.ROOT);
        if (server != null) {
            return RemoteJob.run(server, out, method, named, args.common().device(), args.common().loggingSteps());
        }
        DeviceId device = platform.devices.select(args.common().device());
        platform.settledPlugins(10_000); // rewards hot-deployed from plugins/ are there too, or named as failed
        JobRequest request = JobRequest.training(method, new ArgumentOptions.Values(named, values.source()).arguments(), device);
        return LocalJob.run(platform, out, request, args.common().loggingSteps());
    }
}
