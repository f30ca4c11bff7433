package dev.osprey.cli.impl;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.osprey.api.model.ModelEntry;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code osprey models list}: the model registry, as the installed model bundles contribute it. */
@Command(
        name = "models",
        mixinStandardHelpOptions = true,
        description = "The models Osprey knows by id.",
        subcommands = ModelsCommand.ListModels.class)
public class ModelsCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing a subcommand: list");
    }

    /** Lists registry entries, optionally of one architecture or model type. */
    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description =
                    "List registered model ids (Hugging Face and ModelScope) with their model type and architecture.")
    public static class ListModels extends PlatformCommand implements Callable<Integer> {

        @Option(
                names = "--arch",
                paramLabel = "ARCH",
                description = "only this model_type (llama, qwen2, ...) or architecture (LlamaForCausalLM, ...)")
        String arch;

        @Option(names = "--tag", paramLabel = "TAG", description = "only entries with this tag (thinking, yi, ...)")
        String tag;

        @Option(
                names = "--task",
                paramLabel = "TASK",
                description = "only entries for this task (causal_lm, embedding, generative_reranker, seq_cls, ...)")
        String task;

        @Override
        public Integer call() {
            List<ModelEntry> entries = platform.models.entries().stream()
                    .filter(e -> arch == null
                            || e.modelType().equalsIgnoreCase(arch)
                            || e.architecture().equalsIgnoreCase(arch))
                    .filter(e -> tag == null || e.tags().contains(tag.toLowerCase(Locale.ROOT)))
                    .filter(e -> task == null || e.task().equalsIgnoreCase(task))
                    .toList();
            int width = entries.stream().mapToInt(e -> e.id().length()).max().orElse(10);
            out().printf("%-" + width + "s  %-8s  %-18s  %-19s  %s%n", "ID", "TYPE", "ARCHITECTURE", "TASK", "TAGS");
            for (ModelEntry e : entries) {
                out().printf(
                                "%-" + width + "s  %-8s  %-18s  %-19s  %s%n",
                                e.id(),
                                e.modelType(),
                                e.architecture(),
                                e.task(),
                                String.join(",", e.tags()));
            }
            out().printf("%d models%s%n", entries.size(), arch == null ? "" : " of " + arch);
            out().flush();
            return 0;
        }
    }
}
