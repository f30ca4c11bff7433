package dev.osprey.cli.impl;

import java.util.concurrent.Callable;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.osprey.align.rlhf.RlhfArguments;
import dev.osprey.align.rlhf.RlhfJob;
import dev.osprey.train.sft.PluginModels;
import picocli.CommandLine.Command;

/**
 * {@code osprey rlhf}: alignment with ms-swift's arguments ({@code --rlhf_type dpo|kto|simpo|orpo|cpo|rm|grpo}
 * and the SFT ones, also from {@code --config FILE}); the work is {@link RlhfJob}'s. GRPO's
 * {@code --reward_funcs} are the installed reward plugins, taken by name for the whole job.
 */
@Command(name = "rlhf", mixinStandardHelpOptions = true, modelTransformer = RlhfArgumentOptions.class, sortOptions = false,
        description = "Alignment (DPO, KTO, SimPO, ORPO, CPO, reward model, GRPO) with ms-swift's arguments.")
public class RlhfCommand extends PlatformCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        return train(platform, out(), ArgumentOptions.values(spec, null));
    }

    /** Runs an alignment job from argument values by name (also for {@code osprey sft --task_type dpo}). */
    static int train(Platform platform, java.io.PrintWriter out, ArgumentOptions.Values values) throws Exception {
        RlhfArguments args = RlhfArguments.fromMap(values.values(), values.source()).validate(); // before any work
        platform.devices.select(args.common().device());
        platform.settledPlugins(10_000); // rewards hot-deployed from plugins/ are there too, or named as failed
        try (NDManager manager = platform.requireEngine().newManager(Device.cpu());
                PluginModels models = new PluginModels(platform.extensions, platform.models, new dev.osprey.hub.TerminalProgressBar())) {
            TrainingProgress progress = new TrainingProgress(out, System.console() != null, args.common().loggingSteps());
            RlhfJob.Result result = new RlhfJob(args, models, RlhfJob.Rewards.of(platform.extensions), progress).train(manager);
            if (result.plot() != null) {
                out.println("loss curves: " + result.plot().toAbsolutePath());
            }
        }
        return 0;
    }
}
