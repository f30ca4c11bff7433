package dev.osprey.model.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.checkpoint.GenerationConfig;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.checkpoint.TokenizerConfig;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.QuantSpec;
import dev.osprey.model.spi.AdaptableLinears;

/**
 * Loads a Hugging Face model folder: config.json, the architecture that runs it, its safetensors by
 * checkpoint key (single or sharded; F32, F16 or BF16), and, when present, tokenizer.json,
 * tokenizer_config.json and generation_config.json.
 */
public final class ModelLoader {

    private static final System.Logger LOG = System.getLogger(ModelLoader.class.getName());

    /** Buffers some checkpoints carry that are recomputed, never loaded. */
    private static final List<String> IGNORED_SUFFIXES = List.of("rotary_emb.inv_freq", "rotary_pos_emb.inv_freq");

    /** Every element of an array, to copy a loaded tensor into a live one. */
    private static final NDIndex ALL = new NDIndex("...");

    private ModelLoader() {}

    /**
     * @param architectures finds the architecture for a config; throws with the installed ones listed when none fits
     * @param dataType the parameters' type: FLOAT32, or FLOAT16 to halve memory
     * @throws IllegalArgumentException naming the folder, file, tensor or field at fault
     */
    public static HfModel load(
            Path folder, Function<ModelConfig, ModelArchitecture> architectures, NDManager manager, DataType dataType)
            throws IOException {
        return load(folder, architectures, manager, dataType, null);
    }

    /**
     * Loads the model, quantizing its decoder linear layers as their weights are read (QLoRA's frozen base;
     * see {@link #quantize} for which layers): at most one dense weight is in memory at a time.
     *
     * @param quantization the storage of the decoder linears, or null to keep them dense
     */
    public static HfModel load(
            Path folder,
            Function<ModelConfig, ModelArchitecture> architectures,
            NDManager manager,
            DataType dataType,
            QuantSpec quantization)
            throws IOException {
        Path configFile = folder.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException(
                    folder + " has no config.json, so it is not a Hugging Face model folder");
        }
        HfConfig config = HfConfig.read(configFile);
        ModelArchitecture architecture = architectures.apply(config);
        LanguageModel model = architecture.build(config, manager);
        try {
            List<String> unused = loadWeights(
                    model, WeightFiles.open(folder), manager, dataType, quantization, PrequantizedWeights.of(config));
            Path tokenizerFile = folder.resolve("tokenizer.json");
            HuggingFaceTokenizer tokenizer = Files.isRegularFile(tokenizerFile)
                    ? HuggingFaceTokenizer.newInstance(
                            tokenizerFile,
                            // templates place special tokens themselves; prompts are never silently cut
                            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))
                    : null;
            return new HfModel(
                    folder,
                    config,
                    model,
                    tokenizer,
                    TokenizerConfig.read(folder),
                    GenerationConfig.read(folder),
                    unused);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Quantizes every linear layer LoRA may adapt (a decoder's attention and MLP projections, experts), as
     * bitsandbytes/PEFT's {@code prepare_model_for_kbit_training} leaves embeddings, norms, the router and
     * {@code lm_head} in the compute type. The dense weights are freed and leave {@code model.parameters()},
     * so a quantized model cannot be saved whole; train and save adapters on it.
     *
     * @return the number of layers quantized
     * @throws IllegalArgumentException naming the architecture when the model does not declare its linear layers
     */
    public static int quantize(LanguageModel model, QuantSpec quantization) {
        List<Linear> linears = LoraMerge.linearsOf(model);
        for (Linear l : linears) {
            l.quantize(quantization);
        }
        return linears.size();
    }

    /**
     * Puts every int4 decoder linear into the layout of PyTorch's int4 CPU kernel, so that inference passes multiply
     * by its codes (what serving does; a training pass or merge that dequantizes a layer returns it to the plain
     * layout). Int8 layers are served from their codes already; NF4 has no packed kernel and is dequantized in every
     * pass.
     *
     * @return "layer (format, shape): reason" for each int4 layer the kernel cannot take (it is dequantized in
     *     every pass); empty when all were packed or there are none
     */
    public static List<String> packForInference(LanguageModel model) {
        if (!(model instanceof AdaptableLinears)) {
            return List.of();
        }
        List<String> unpacked = new ArrayList<>();
        for (Linear l : LoraMerge.linearsOf(model)) {
            l.packForInference().ifPresent(unpacked::add);
        }
        return unpacked;
    }

    /**
     * Fills every parameter from the checkpoint by name.
     *
     * @return the checkpoint tensors nothing used
     * @throws IllegalArgumentException listing the parameters the checkpoint lacks, or a shape that differs
     */
    public static List<String> loadWeights(
            LanguageModel model, WeightFiles weights, NDManager manager, DataType dataType) throws IOException {
        return loadWeights(model, weights, manager, dataType, null);
    }

    /**
     * Fills every parameter from the checkpoint by name and, given a quantization, quantizes each decoder
     * linear layer as soon as its weight is read (QLoRA's frozen base), so that no more than one dense
     * weight is in memory at a time: loading a 7B model in 4 bits needs about 4 GB, not 28.
     *
     * @param quantization how to store the decoder linears, or null to keep them dense
     */
    public static List<String> loadWeights(
            LanguageModel model, WeightFiles weights, NDManager manager, DataType dataType, QuantSpec quantization)
            throws IOException {
        return loadWeights(model, weights, manager, dataType, quantization, PrequantizedWeights.NONE);
    }

    /** @param prequantized how the checkpoint stores pre-quantized linear weights ({@link PrequantizedWeights#NONE}: it does not) */
    static List<String> loadWeights(
            LanguageModel model,
            WeightFiles weights,
            NDManager manager,
            DataType dataType,
            QuantSpec quantization,
            PrequantizedWeights prequantized)
            throws IOException {
        if (!(model instanceof DecoderModel decoder)) {
            return loadByKey(model, weights, manager, quantization, prequantized);
        }
        Map<String, Linear> linears = new HashMap<>();
        for (Linear l : decoder.linears()) {
            if (l.quantizedWeight() == null) { // a layer quantized already is no parameter to fill
                linears.put(l.weight().name(), l);
            }
        }
        List<String> widened = new ArrayList<>();
        // the names as declared: quantized weights leave the parameters while loading
        Set<String> params = new LinkedHashSet<>(decoder.params().all().keySet());
        CheckpointNames names = CheckpointNames.of(model, weights, params);
        List<String> missing = new ArrayList<>();
        for (String name : params) {
            if (!names.stored(name) && !prequantized.provides(weights, name) && !names.headless(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(weights.source() + " lacks " + missing.size()
                    + " tensor(s) the architecture needs: "
                    + String.join(", ", missing.subList(0, Math.min(missing.size(), 8)))
                    + (missing.size() > 8 ? ", ..." : ""));
        }
        decoder.params().cast(dataType); // the compute type follows the weights
        for (var p : List.copyOf(decoder.params().all().values())) {
            if (!names.stored(p.name()) && names.headless(p.name())) {
                // a classifier's or embedding model's checkpoint has no output head: zeros, never read as a language
                // model's
                p.set(manager.zeros(p.shape(), dataType));
                continue;
            }
            String key = names.key(p.name());
            boolean quantized = prequantized.provides(weights, p.name());
            long[] shape = quantized
                    ? prequantized.shape(weights, p.name())
                    : weights.info(key).shape();
            if (!Arrays.equals(shape, p.shape().getShape())) {
                throw new IllegalArgumentException((quantized ? weights.source() : weights.fileOf(key))
                        + ": tensor '" + key + "' has shape "
                        + Arrays.toString(shape) + (quantized ? " (from its quantized parts)" : "")
                        + " but config.json gives " + p.shape());
            }
            Linear linear = linears.get(p.name());
            if (quantized && linear != null) {
                var codes = prequantized.codes(manager, weights, p.name(), quantization, widened);
                if (codes.isPresent()) {
                    linear.adoptQuantized(codes.get()); // the checkpoint's own codes: no dense weight is made
                    continue;
                }
            }
            p.set(
                    quantized
                            ? prequantized.load(manager, weights, p.name(), dataType)
                            : weights.load(manager, key, dataType));
            if (linear != null && quantization != null) {
                linear.quantize(quantization); // frees the dense weight before the next one is read
            }
        }
        if (!widened.isEmpty()) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    weights.source() + ": " + widened.size() + " pre-quantized layer(s) widened to dense weights: "
                            + String.join("; ", widened.subList(0, Math.min(widened.size(), 4)))
                            + (widened.size() > 4 ? "; ..." : ""));
        }
        return unused(model, weights, names.keys(params), prequantized);
    }

    /**
     * Any other {@link LanguageModel}: each checkpoint tensor is copied into the live array of the same key, in
     * that array's type (such a model keeps the type it built its parameters in), then, given a quantization,
     * the linear layers it declares are quantized.
     */
    private static List<String> loadByKey(
            LanguageModel model,
            WeightFiles weights,
            NDManager manager,
            QuantSpec quantization,
            PrequantizedWeights prequantized)
            throws IOException {
        String architecture =
                model.config().modelType() + " (" + model.getClass().getSimpleName() + ")";
        if (prequantized != PrequantizedWeights.NONE) {
            throw new IllegalArgumentException(weights.source() + ": " + architecture
                    + " is not a decoder model of the SPI; pre-quantized checkpoints (quantization_config) load"
                    + " into those only");
        }
        Map<String, NDArray> params = model.parameters();
        List<String> missing = new ArrayList<>();
        for (String name : params.keySet()) {
            if (!weights.contains(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(weights.source() + " lacks " + missing.size()
                    + " tensor(s) that " + architecture + " needs: "
                    + String.join(", ", missing.subList(0, Math.min(missing.size(), 8)))
                    + (missing.size() > 8 ? ", ..." : ""));
        }
        for (Map.Entry<String, NDArray> p : params.entrySet()) {
            NDArray target = p.getValue();
            long[] shape = weights.info(p.getKey()).shape();
            if (!Arrays.equals(shape, target.getShape().getShape())) {
                throw new IllegalArgumentException(weights.fileOf(p.getKey()) + ": tensor '" + p.getKey()
                        + "' has shape " + Arrays.toString(shape) + " but " + architecture + " declares "
                        + target.getShape());
            }
            try (NDArray loaded = weights.load(manager, p.getKey(), target.getDataType())) {
                target.set(ALL, loaded); // in place: the model holds these very arrays
            }
        }
        if (quantization != null) {
            quantize(model, quantization);
        }
        return unused(model, weights, params.keySet(), prequantized);
    }

    private static List<String> unused(
            LanguageModel model, WeightFiles weights, Set<String> params, PrequantizedWeights prequantized) {
        List<String> unused = new ArrayList<>();
        for (String name : weights.names()) {
            // some tied checkpoints still carry lm_head.weight: a copy of the embedding, not unused
            if (!params.contains(name)
                    && !params.contains(model.checkpointKey(name))
                    && IGNORED_SUFFIXES.stream().noneMatch(name::endsWith)
                    && !name.equals("lm_head.weight")
                    && !prequantized.isPart(weights, name)) {
                unused.add(name);
            }
        }
        return unused;
    }
}
