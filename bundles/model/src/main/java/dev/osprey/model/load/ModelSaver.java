package dev.osprey.model.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.LanguageModel;
import dev.osprey.checkpoint.Safetensors;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.spi.AdaptableLinears;

/**
 * Writes a model as a Hugging Face folder (config.json + model.safetensors), atomically. Linear layers held as
 * quantized codes are written as their dequantized weights, so the folder is a dense checkpoint.
 */
public final class ModelSaver {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelSaver() {}

    /**
     * @param dtype {@code F32}, {@code F16} or {@code BF16}; config.json's {@code torch_dtype} follows it
     * @param extraFiles more files to put in the folder (tokenizer.json, generation_config.json, ...): name → content
     */
    public static void save(LanguageModel model, Path folder, String dtype, Map<String, byte[]> extraFiles)
            throws IOException {
        Folders.writeAtomically(folder, dir -> writeFiles(model, dir, dtype, extraFiles));
    }

    /** Writes config.json, model.safetensors and the extra files into an existing folder (a checkpoint being assembled). */
    public static void writeFiles(LanguageModel model, Path dir, String dtype, Map<String, byte[]> extraFiles)
            throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>(model.parameters());
        List<NDArray> widened = new ArrayList<>();
        try {
            // linears held as codes (a GPTQ/AWQ base, a quantized one) are not parameters: written dequantized
            if (model instanceof AdaptableLinears) {
                for (Linear l : LoraMerge.linearsOf(model)) {
                    String key = l.name() + ".weight";
                    if (l.quantizedWeight() != null && !tensors.containsKey(key)) {
                        NDArray w = l.dequantizedWeight(DataType.FLOAT32); // (out, in)
                        widened.add(w);
                        tensors.put(key, w);
                    }
                }
            }
            Map<String, Object> config = new LinkedHashMap<>(model.config().asMap());
            config.put(
                    "torch_dtype",
                    switch (dtype) {
                        case "F16" -> "float16";
                        case "BF16" -> "bfloat16";
                        default -> "float32";
                    });
            if (!widened.isEmpty()) {
                config.remove("quantization_config"); // the weights written are dense
            }
            Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config));
            Safetensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"), dtype);
        } finally {
            widened.forEach(NDArray::close);
        }
        for (Map.Entry<String, byte[]> e : extraFiles.entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
    }
}
