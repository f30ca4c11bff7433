package dev.osprey.model.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.osprey.api.model.LanguageModel;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.spi.AdaptableLinears;
import dev.osprey.model.spi.Projection;

/**
 * The one LoRA merge: folds an attached adapter into the weights of every linear layer it targets
 * ({@link Linear#merge}: PEFT's formula, DoRA's included; a quantized layer is dequantized first) and writes
 * the merged model as a Hugging Face folder with its tokenizer and generation files, assembled beside its
 * target and renamed into place. Used by training's {@code --merge_lora}, the {@code merge_lora} exporter and
 * the model service's merged adapters.
 */
public final class LoraMerge {

    /**
     * The files of a model folder that travel with a full or merged copy, so it loads and chats as the base did: the
     * tokenizer, templates and generation settings, and a multimodal model's image and video processors.
     */
    public static final List<String> TOKENIZER_FILES = List.of(
            "tokenizer.json",
            "tokenizer_config.json",
            "generation_config.json",
            "special_tokens_map.json",
            "chat_template.jinja",
            "chat_template.json",
            "preprocessor_config.json",
            "video_preprocessor_config.json",
            "processor_config.json");

    private LoraMerge() {}

    /**
     * Merges the adapter attached under {@code adapter} into every layer that carries it.
     *
     * @return how many layers it was merged into
     * @throws IllegalArgumentException when the model has no linear layers or none carries the adapter
     */
    public static int merge(LanguageModel model, String adapter) {
        int merged = 0;
        for (Linear linear : linearsOf(model)) {
            if (linear.adapter(adapter) != null) {
                linear.merge(adapter);
                merged++;
            }
        }
        if (merged == 0) {
            throw new IllegalArgumentException("no layer of the model carries the LoRA adapter '" + adapter + "'");
        }
        return merged;
    }

    /**
     * Merges {@code adapter} and writes the model into {@code target} (weights in {@code saveDtype}: F32, F16 or
     * BF16, with config.json and the tokenizer files of the model's folder).
     *
     * @return how many layers the adapter was merged into
     */
    public static int mergeAndSave(HfModel model, String adapter, Path target, String saveDtype) throws IOException {
        int merged = merge(model.model(), adapter);
        save(model, target, saveDtype);
        return merged;
    }

    /** Writes a (merged or full) model into {@code target} with the tokenizer files of the folder it was loaded from. */
    public static void save(HfModel model, Path target, String saveDtype) throws IOException {
        ModelSaver.save(model.model(), target, saveDtype, tokenizerFiles(model.folder()));
    }

    /** The {@link #TOKENIZER_FILES} present in {@code folder}: name → content. */
    public static Map<String, byte[]> tokenizerFiles(Path folder) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : TOKENIZER_FILES) {
            Path file = folder.resolve(name);
            if (Files.isRegularFile(file)) {
                files.put(name, Files.readAllBytes(file));
            }
        }
        return files;
    }

    /**
     * The model's linear layers, which carry the adapters: those it declares as {@link AdaptableLinears}.
     *
     * @throws IllegalArgumentException naming the architecture when it declares none, or declares a layer the
     *     platform did not make
     */
    public static List<Linear> linearsOf(LanguageModel model) {
        String architecture =
                model.config().modelType() + " (" + model.getClass().getName() + ")";
        if (!(model instanceof AdaptableLinears adaptable)) {
            throw new IllegalArgumentException(architecture + " does not declare the linear layers LoRA may wrap"
                    + " (it does not implement " + AdaptableLinears.class.getSimpleName() + "), so it takes no"
                    + " LoRA adapters and no quantization; full fine-tuning works without them");
        }
        List<Linear> linears = new ArrayList<>();
        for (Projection p : adaptable.adaptableLinears()) {
            if (!(p instanceof Linear linear)) {
                throw new IllegalArgumentException(architecture + " declares the adaptable layer " + p.name()
                        + ", which was not made by Parameters.linear or Parameters.conv1d");
            }
            linears.add(linear);
        }
        return linears;
    }
}
