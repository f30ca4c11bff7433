package dev.osprey.cli.impl;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import ai.djl.ndarray.NDManager;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelSaver;
import dev.osprey.train.sft.SftJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code osprey export --merge_lora true}: merges a PEFT LoRA adapter into its base model and writes a
 * Hugging Face folder (weights, config, tokenizer and generation files), as ms-swift's export does. The
 * folder is assembled beside its target and renamed into place.
 */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Merge a LoRA adapter into its base model (--merge_lora).")
public class ExportCommand extends ModelCommand implements Callable<Integer> {

    @Option(names = "--merge_lora", arity = "0..1", fallbackValue = "true", defaultValue = "false",
            description = "merge --adapters into the weights (default: ${DEFAULT-VALUE})")
    boolean mergeLora;

    @Option(names = "--output_dir", paramLabel = "DIR", description = "where to write; default: the adapter folder + '-merged'")
    Path outputDir;

    @Option(names = "--save_dtype", defaultValue = "F32", description = "F32, F16 or BF16 (default: ${DEFAULT-VALUE})")
    String saveDtype;

    @Override
    public Integer call() throws Exception {
        if (!mergeLora) {
            throw new IllegalArgumentException("nothing to export: give --merge_lora true (quantized exports are not available yet)");
        }
        if (adapters == null) {
            throw new IllegalArgumentException("--merge_lora needs --adapters DIR, the PEFT adapter to merge");
        }
        return withModel();
    }

    @Override
    Integer run(HfModel model, String adapter, NDManager manager) throws Exception {
        if (!(model.model() instanceof DecoderModel decoder)) {
            throw new IllegalArgumentException("this architecture does not support LoRA adapters");
        }
        Path target = outputDir != null ? outputDir : adapters.resolveSibling(adapters.getFileName() + "-merged");
        int merged = 0;
        for (var linear : decoder.linears()) {
            if (linear.adapter(adapter) != null) {
                linear.merge(adapter);
                merged++;
            }
        }
        ModelSaver.save(decoder, target, saveDtype, SftJob.tokenizerFiles(model));
        out().printf("merged %s into %d layers of %s; wrote %s%n", adapters, merged, model.folder(), target);
        out().flush();
        return 0;
    }
}
