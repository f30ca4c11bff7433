package dev.osprey.cli.impl;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.osprey.api.job.ArgumentSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code osprey rlhf}: alignment with ms-swift's arguments ({@code --rlhf_type dpo|kto|simpo|orpo|cpo|rm|grpo}
 * and the SFT ones, also from {@code --config FILE}); the work is the alignment method's of that name, run as a job
 * of the platform's job service. GRPO's
 * {@code --reward_funcs} are the installed reward plugins, taken by name for the whole job.
 */
@Command(
        name = "rlhf",
        mixinStandardHelpOptions = true,
        modelTransformer = RlhfArgumentOptions.class,
        sortOptions = false,
        description = "Alignment (DPO, KTO, SimPO, ORPO, CPO, reward model, GRPO) with ms-swift's arguments.")
public class RlhfCommand extends PlatformCommand implements Callable<Integer> {

    static final String RLHF_TYPE = "rlhf_type";

    @Option(names = ArgumentOptions.SERVER, paramLabel = "URL", description = RemoteJob.SERVER_OPTION)
    String server;

    @Override
    public Integer call() throws Exception {
        if (TrainingMethods.alignmentMethods(platform.extensions).isEmpty()) {
            throw new IllegalStateException(
                    "no alignment method is installed (bundle dev.osprey.align); `osprey plugins --local` shows why");
        }
        return train(platform, out(), ArgumentOptions.values(spec, null), server);
    }

    /** Runs the alignment method {@code --rlhf_type} names (also for {@code osprey sft --task_type dpo}). */
    static int train(Platform platform, PrintWriter out, ArgumentOptions.Values values, String server)
            throws IOException, InterruptedException {
        platform.settledPlugins(10_000); // rewards hot-deployed from plugins/ are there too, or named as failed
        List<String> installed = TrainingMethods.alignmentMethods(platform.extensions);
        ArgumentSpec type = TrainingMethods.alignmentArguments(platform.extensions).stream()
                .filter(a -> a.name().equals(RLHF_TYPE))
                .findFirst()
                .orElse(null);
        Map<String, Object> named = new LinkedHashMap<>(values.values());
        Object given = named.remove(RLHF_TYPE); // the method's name says it
        String method = given != null
                ? String.valueOf(given).trim().toLowerCase(Locale.ROOT)
                : type != null && !type.defaultValue().isEmpty()
                        ? type.defaultValue().get(0)
                        : null;
        if (method == null || !installed.contains(method)) {
            // in the order the methods describe them, then any other installed one
            List<String> names = new ArrayList<>(
                    type == null
                            ? List.of()
                            : type.choices().stream()
                                    .filter(installed::contains)
                                    .toList());
            installed.stream().filter(n -> !names.contains(n)).forEach(names::add);
            throw new IllegalArgumentException(
                    "--rlhf_type must be one of " + String.join(", ", names) + "; was '" + given + "'");
        }
        return TrainCommand.train(platform, out, method, new ArgumentOptions.Values(named, values.source()), server);
    }
}
