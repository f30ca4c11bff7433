package dev.osprey.export.impl;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.export.Exporter;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.export.impl.GgufModel.HfTensor;
import dev.osprey.model.load.Folders;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelArguments;

/**
 * {@code gguf}: writes the model as one GGUF v3 file that llama.cpp loads ({@link GgufModel}'s architectures,
 * byte-level BPE or SentencePiece tokenizers), its {@code --adapters} merged first as {@code merge_lora} does.
 * Arguments: those of {@link ModelArguments}; {@code --gguf_type} ({@link GgufFileType}: f32, f16 (default), q8_0,
 * q4_k_m, q5_k_m, q6_k), or {@code --quant_bits 8} for q8_0 and 4 for q4_k_m; {@code --to_ollama true} adds Ollama's
 * {@code Modelfile} ({@link OllamaModelfile}) beside the file. The file {@code MODEL-TYPE.gguf} is assembled in a
 * folder beside the job's output folder and renamed into place; the job's result is the file.
 */
@Component(service = Exporter.class)
public class GgufExporter implements Exporter {

    static final String NAME = "gguf";

    private final ModelService models;

    @Activate
    public GgufExporter(@Reference ModelService models) {
        this.models = models;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "write a llama.cpp GGUF file (llama, mistral, qwen2, gemma 1-3; f32, f16, q8_0, q4_k_m, q5_k_m, q6_k),"
                + " adapters merged first";
    }

    @Override
    public Path export(JobContext job) throws Exception {
        GgufFileType type = type(job.arguments());
        ModelRequest request = ModelArguments.request(job, true);
        Path target = ExportRequest.target(job);
        job.progress().message("converting " + request.model() + " to GGUF " + type.id());
        String file;
        try (LoadedModel model = models.load(request)) {
            HfModel hf = model.unwrap(HfModel.class)
                    .orElseThrow(() -> new IllegalStateException(
                            "the model service returned no Hugging Face model for " + request.model()));
            String name = hf.folder().toAbsolutePath().normalize().getFileName().toString();
            String modelfile = job.arguments().getBoolean("to_ollama", false)
                    ? OllamaModelfile.of("./" + fileName(name, type), model)
                    : null;
            file = write(
                    target, name, hf.config(), hf.folder(), tensors(hf.model().parameters()), type, modelfile);
        }
        Path written = target.resolve(file);
        job.progress().message("wrote " + written);
        return written;
    }

    /**
     * The file type asked for: {@code --gguf_type}, else {@code --quant_bits 8} as {@code q8_0} and {@code
     * --quant_bits 4} as {@code q4_k_m}, else f16.
     */
    static GgufFileType type(Arguments args) {
        int bits = args.getInt("quant_bits", 0);
        if (args.has("gguf_type")) {
            GgufFileType type = GgufFileType.parse(args.getString("gguf_type", ""));
            if (bits != 0 && bits != type.bits) {
                throw new IllegalArgumentException("--quant_bits " + bits + " contradicts --gguf_type " + type.id());
            }
            return type;
        }
        return switch (bits) {
            case 0 -> GgufFileType.F16;
            case 8 -> GgufFileType.Q8_0;
            case 4 -> GgufFileType.Q4_K_M;
            default ->
                throw new IllegalArgumentException("gguf export takes --quant_bits 8 (q8_0) or 4 (q4_k_m), or"
                        + " --gguf_type f32|f16|q8_0|q4_k_m|q5_k_m|q6_k; not --quant_bits " + bits);
        };
    }

    /**
     * Writes {@code MODEL-TYPE.gguf} into the folder {@code target} atomically (a scratch folder beside it, renamed
     * into place). {@code name} is the model's ({@code general.name}); {@code folder} holds its tokenizer files;
     * {@code modelfile}, when not null, is written beside the file as Ollama's {@code Modelfile}.
     *
     * @return the file's name
     */
    static String write(
            Path target,
            String name,
            HfConfig config,
            Path folder,
            Map<String, HfTensor> tensors,
            GgufFileType type,
            String modelfile)
            throws IOException {
        GgufModel model = new GgufModel(config);
        String file = fileName(name, type);
        GgufWriter gguf = new GgufWriter();
        model.putMetadata(gguf, name, type);
        GgufVocab.putMetadata(gguf, folder, model.arch, config.requireInt("vocab_size"));
        model.addTensors(gguf, tensors, type);
        Folders.writeAtomically(target, dir -> {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(file)), 1 << 20)) {
                gguf.write(out);
            }
            if (modelfile != null) {
                Files.writeString(dir.resolve(OllamaExporter.MODELFILE), modelfile);
            }
        });
        return file;
    }

    private static String fileName(String name, GgufFileType type) {
        return name + "-" + type.id() + ".gguf";
    }

    /** The model's weights as F32 values in the checkpoint's names. */
    private static Map<String, HfTensor> tensors(Map<String, NDArray> parameters) {
        Map<String, HfTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray a = e.getValue();
            float[] values = a.getDataType() == DataType.FLOAT32
                    ? a.toFloatArray()
                    : a.toType(DataType.FLOAT32, false).toFloatArray();
            tensors.put(e.getKey(), new HfTensor(a.getShape().getShape(), values));
        }
        return tensors;
    }
}
