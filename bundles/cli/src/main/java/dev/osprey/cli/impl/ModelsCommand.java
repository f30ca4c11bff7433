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

        private static final List<String> MODALITIES = List.of(ModelEntry.TEXT, "image", "video", "audio");

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

        @Option(
                names = "--modality",
                paramLabel = "MODALITY",
                description = "only entries that read this input (text, image, video, audio)")
        String modality;

        @Override
        public Integer call() {
            if (modality != null && !MODALITIES.contains(modality.toLowerCase(Locale.ROOT))) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "--modality must be one of " + MODALITIES + ", not '" + modality + "'");
            }
            List<ModelEntry> entries = platform.models.entries().stream()
                    .filter(e -> arch == null
                            || e.modelType().equalsIgnoreCase(arch)
                            || e.architecture().equalsIgnoreCase(arch))
                    .filter(e -> tag == null || e.tags().contains(tag.toLowerCase(Locale.ROOT)))
                    .filter(e -> task == null || e.task().equalsIgnoreCase(task))
                    .filter(e -> modality == null || e.modalities().contains(modality.toLowerCase(Locale.ROOT)))
                    .toList();
            int width = entries.stream().mapToInt(e -> e.id().length()).max().orElse(10);
            String row = "%-" + width + "s  %-8s  %-18s  %-19s  %-16s  %s%n";
            out().printf(row, "ID", "TYPE", "ARCHITECTURE", "TASK", "MODALITY", "TAGS");
            for (ModelEntry e : entries) {
                out().printf(
                                row,
                                e.id(),
                                e.modelType(),
                                e.architecture(),
                                e.task(),
                                String.join("+", e.modalities()),
                                String.join(",", e.tags()));
            }
            out().printf("%d models%s%n", entries.size(), arch == null ? "" : " of " + arch);
            out().flush();
            return 0;
        }
    }
}
