package dev.osprey.cli.impl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.osprey.api.job.ArgumentSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code osprey sft}: supervised fine-tuning (LoRA, DoRA, QLoRA or full) with ms-swift's argument names;
 * run {@code osprey sft --help} for them all. Without {@code --model} and {@code --dataset} it fine-tunes the
 * built-in demo ({@code demo/sft.yaml} in the Osprey home). {@code --task_type dpo} (or any other
 * {@code --rlhf_type}) runs that alignment method instead, as {@code osprey rlhf} would, the spelling some
 * users bring; the alignment options apply only then.
 */
@Command(
        name = "sft",
        mixinStandardHelpOptions = true,
        modelTransformer = SftCommand.Options.class,
        sortOptions = false,
        description =
                "Supervised fine-tuning (LoRA, DoRA, QLoRA or full) with ms-swift's arguments; --task_type dpo|kto|... aligns instead.")
public class SftCommand extends TrainCommand {

    static final String METHOD = "sft";
    static final String TASK_TYPE = "task_type";
    private static final List<String> SUPERVISED = List.of("causal_lm", "sft");
    /** ms-swift's tasks beyond causal LM, which the sft method trains itself (its task_type argument). */
    private static final List<String> TASKS = List.of("seq_cls", "embedding", "reranker", "generative_reranker");

    /** {@code --task_type}, then the {@code sft} method's arguments and the alignment methods' own. */
    static final class Options extends ArgumentOptions {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            spec.addOption(OptionSpec.builder("--" + TASK_TYPE)
                    .paramLabel("TYPE")
                    .type(String.class)
                    .description(
                            "causal_lm (default: supervised fine-tuning), seq_cls, embedding, reranker, generative_reranker,"
                                    + " or an alignment method: dpo, kto, simpo, orpo, cpo, rm, grpo")
                    .build());
            return super.transform(spec);
        }

        @Override
        List<ArgumentSpec> arguments() {
            List<ArgumentSpec> all = new ArrayList<>(TrainingMethods.arguments(platform.extensions, METHOD));
            all.addAll(TrainingMethods.alignmentArguments(platform.extensions));
            all.removeIf(a -> a.isNamed(TASK_TYPE)); // the option above, which also names the alignment methods
            return TrainingMethods.distinct(all);
        }
    }

    @Override
    public Integer call() throws Exception {
        TrainingMethods.require(platform.extensions, METHOD);
        ArgumentOptions.Values values = ArgumentOptions.values(spec, demoConfig());
        Map<String, Object> named = new LinkedHashMap<>(values.values());
        Object task = named.remove(TASK_TYPE);
        if (task != null && TASKS.contains(String.valueOf(task))) {
            named.put(TASK_TYPE, task);
        } else if (task != null && !SUPERVISED.contains(String.valueOf(task))) {
            named.put(RlhfCommand.RLHF_TYPE, task);
            return RlhfCommand.train(platform, out(), new ArgumentOptions.Values(named, values.source()), server);
        }
        List<ArgumentSpec> supervised = TrainingMethods.arguments(platform.extensions, METHOD);
        for (String name : named.keySet()) {
            if (supervised.stream().noneMatch(a -> a.isNamed(name))) {
                throw new IllegalArgumentException(
                        "--" + name + " is an alignment option: add --task_type dpo (or kto, simpo, orpo, cpo,"
                                + " rm, grpo), or run osprey rlhf");
            }
        }
        return train(platform, out(), METHOD, new ArgumentOptions.Values(named, values.source()), server);
    }

    @Override
    Path demoConfig() {
        return shippedDemo("sft.yaml");
    }

    @Override
    String method() {
        return METHOD;
    }
}
