package dev.osprey.model.decoder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.ForwardResult;
import dev.osprey.api.model.KvCache;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.model.blocks.ModuleParameters;
import dev.osprey.model.nn.InferenceThreads;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.Param;
import dev.osprey.model.nn.Params;
import dev.osprey.model.nn.TrainingMode;
import dev.osprey.model.spi.AdaptableLinears;
import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.MediaStage;
import dev.osprey.model.spi.MediaStageFactory;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.RotaryEmbedding;
import dev.osprey.model.spi.StagedInputs;

/**
 * The decoder-only transformer of Llama and its relatives, composed from the blocks a {@link DecoderLayout}
 * (the model-family SPI) or a {@link DecoderSpec} names: each layer's norms, attention and feed-forward
 * block come from the layout's factories, built-in or a plugin's own. Module names mirror Hugging Face
 * checkpoint keys ({@code model.layers.N.self_attn.q_proj.weight}), so weights load by name.
 *
 * <p>A forward pass takes a batch (B, T) with an optional attention mask (B, P + T) for padding and a
 * cache holding P earlier positions; positions follow the mask, so left-padded rows give the same
 * results as the rows alone. Intermediate arrays live in an {@link NDScope} and are freed when the pass
 * returns, except the logits and the cache; in training mode they stay for the backward pass, and the
 * training loop frees them after its update (an {@link NDScope} around the whole step).
 */
public final class DecoderModel implements LanguageModel, AdaptableLinears {

    private final ModelConfig config;
    private final DecoderLayout layout;
    private final DecoderSpec spec;
    private final Params params;
    /** The blocks' view of {@link #params}, which keeps the linear layers LoRA may adapt. */
    private final ModuleParameters modules;

    private final Param embedTokens;
    private final List<Layer> layers = new ArrayList<>();
    private final Norm norm;
    private final Linear lmHead;
    /** RoPE's inverse frequencies, computed once unless they depend on the length (or there is no RoPE). */
    private final float[] ropeFrequencies;
    /** The final logit soft cap c (logits become c·tanh(logits / c)), or 0 for none. */
    private final double logitSoftcap;
    /** A multimodal family's vision tower and aligner, or null for a text model. */
    private final Multimodal multimodal;

    private final MediaStage mediaStage;

    /**
     * What a multimodal family adds to the decoder.
     *
     * @param stage makes the stage run before the layers (vision tower, aligner, rotary positions)
     * @param keys the modules as ms-swift names them, or null
     * @param checkpointKeys the parameter a key of another checkpoint layout names
     */
    public record Multimodal(MediaStageFactory stage, MultimodalKeys keys, UnaryOperator<String> checkpointKeys) {}

    private final boolean normalizedHead;

    /** A Llama-like model as {@code spec} describes it, composed from the built-in blocks. */
    public DecoderModel(ModelConfig config, DecoderSpec spec, NDManager manager, DataType dataType, long seed) {
        this(config, SpecLayouts.of(spec), spec, 0, false, null, manager, dataType, seed);
    }

    /** The model a family's {@code layout} composes, its blocks made by the layout's factories. */
    public DecoderModel(ModelConfig config, DecoderLayout layout, NDManager manager, DataType dataType, long seed) {
        this(config, layout, 0, manager, dataType, seed);
    }

    /**
     * The model a family's {@code layout} composes, its logits soft-capped at {@code logitSoftcap}
     * (c·tanh(logits / c); 0 for none).
     */
    public DecoderModel(
            ModelConfig config,
            DecoderLayout layout,
            double logitSoftcap,
            NDManager manager,
            DataType dataType,
            long seed) {
        this(config, layout, logitSoftcap, false, null, manager, dataType, seed);
    }

    /**
     * The model a family's {@code layout} composes, its logits soft-capped at {@code logitSoftcap} (0 for none),
     * its output head normalized per row when {@code normalizedHead} (Baichuan 2's NormHead:
     * {@code x·normalize(W)ᵀ}).
     */
    public DecoderModel(
            ModelConfig config,
            DecoderLayout layout,
            double logitSoftcap,
            boolean normalizedHead,
            NDManager manager,
            DataType dataType,
            long seed) {
        this(config, layout, logitSoftcap, normalizedHead, null, manager, dataType, seed);
    }

    /**
     * A model as a family composes it: the decoder of {@code layout} (logits soft-capped at {@code logitSoftcap},
     * 0 for none; a normalized head when {@code normalizedHead}), after the family's media stage when {@code
     * multimodal} is not null.
     */
    public DecoderModel(
            ModelConfig config,
            DecoderLayout layout,
            double logitSoftcap,
            boolean normalizedHead,
            Multimodal multimodal,
            NDManager manager,
            DataType dataType,
            long seed) {
        this(
                config,
                layout,
                SpecLayouts.summary(layout),
                logitSoftcap,
                normalizedHead,
                multimodal,
                manager,
                dataType,
                seed);
    }

    private DecoderModel(
            ModelConfig config,
            DecoderLayout layout,
            DecoderSpec spec,
            double logitSoftcap,
            boolean normalizedHead,
            Multimodal multimodal,
            NDManager manager,
            DataType dataType,
            long seed) {
        if (!(logitSoftcap >= 0) || Double.isInfinite(logitSoftcap)) {
            throw new IllegalArgumentException(
                    "the final logit soft cap must be finite and not negative, was " + logitSoftcap);
        }
        this.logitSoftcap = logitSoftcap;
        this.normalizedHead = normalizedHead;
        this.config = config;
        this.layout = layout;
        this.spec = spec;
        this.params = new Params(manager, dataType, seed, layout.initStd());
        this.modules = new ModuleParameters(params);
        CheckpointKeys keys = layout.keys();
        this.embedTokens =
                params.normal(keys.embedTokens() + ".weight", new Shape(layout.vocabSize(), layout.hiddenSize()));
        for (int i = 0; i < layout.layers(); i++) {
            layers.add(new Layer(modules, keys.layers() + "." + i, i, layout));
        }
        this.norm = layout.finalNorm().create(modules, keys.finalNorm(), layout.hiddenSize());
        this.lmHead = layout.tieWordEmbeddings()
                ? new Linear(keys.lmHead(), embedTokens)
                : new Linear(params, keys.lmHead(), layout.hiddenSize(), layout.vocabSize(), false);
        RotaryEmbedding rope = layout.rope();
        this.ropeFrequencies = rope == null || rope.dependsOnLength() ? null : rope.inverseFrequencies(0);
        this.multimodal = multimodal;
        this.mediaStage = multimodal == null ? null : multimodal.stage().create(modules);
    }

    /**
     * The spec this model was built from. A model composed from a {@link DecoderLayout} has a summary of its
     * shape here (vocabulary, hidden size, layers, embeddings, initialisation): its blocks are in {@link #layout()}.
     */
    public DecoderSpec spec() {
        return spec;
    }

    /** The layout the model is composed from (for a {@link DecoderSpec}, the built-in blocks it names). */
    public DecoderLayout layout() {
        return layout;
    }

    public Params params() {
        return params;
    }

    /** Every linear layer LoRA may adapt (the blocks' {@code Parameters.linear}), for attaching adapters by module name. */
    public List<Linear> linears() {
        return new ArrayList<>(modules.adaptable());
    }

    @Override
    public List<Linear> adaptableLinears() {
        return modules.adaptable();
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Map<String, NDArray> parameters() {
        return params.arrays();
    }

    @Override
    public String checkpointKey(String key) {
        return multimodal == null ? key : multimodal.checkpointKeys().apply(key);
    }

    @Override
    public Optional<MultimodalKeys> multimodalKeys() {
        return multimodal == null ? Optional.empty() : Optional.ofNullable(multimodal.keys());
    }

    @Override
    public KvCache newCache(int batchSize) {
        return new DecoderCache(layout.layers(), batchSize);
    }

    /** Frees every parameter array (adapters attached to linear layers are their owner's to close). */
    @Override
    public void close() {
        modules.close(); // the parameters, and quantized layers' weights, which left them
    }

    @Override
    public ForwardResult forward(ForwardRequest request) {
        if (request.training()) {
            return TrainingMode.during(true, () -> run(request)); // LoRA dropout on
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            ForwardResult result = InferenceThreads.during(() -> run(request)); // no gradients: may use every core
            NDScope.unregister(result.logits());
            if (result.cache() instanceof DecoderCache c) {
                c.keepBeyondScope();
            }
            return result;
        }
    }

    /**
     * The final hidden states after the last norm (B, T, H), or (B, 1, H) for the last position only: what
     * a value or classification head reads instead of the logits (a reward model's {@code score}). Freed
     * and kept as {@link #forward} frees and keeps the logits.
     */
    public NDArray hiddenStates(ForwardRequest request) {
        if (request.training()) {
            return TrainingMode.during(true, () -> hidden(request));
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray h = InferenceThreads.during(() -> hidden(request));
            NDScope.unregister(h);
            if (request.cache().orElse(null) instanceof DecoderCache c) {
                c.keepBeyondScope();
            }
            return h;
        }
    }

    private ForwardResult run(ForwardRequest request) {
        DecoderCache cache = request.cache().map(DecoderModel::decoderCache).orElse(null);
        NDArray h = hidden(request); // (B, T, H)
        NDArray logits =
                softcapped(output(h, request.adapter().orElse(null)).toType(DataType.FLOAT32, false)); // (B, T, V)
        return new ForwardResult(logits, cache);
    }

    private NDArray hidden(ForwardRequest request) {
        NDArray ids = request.inputIds(); // (B, T)
        long batch = ids.getShape().get(0);
        int steps = Math.toIntExact(ids.getShape().get(1));
        DecoderCache cache = request.cache().map(DecoderModel::decoderCache).orElse(null);
        int past = cache == null ? 0 : cache.length();
        if (cache != null && cache.batchSize() != batch) {
            throw new IllegalArgumentException(
                    "the cache holds " + cache.batchSize() + " sequences but the batch has " + batch);
        }
        NDArray mask = request.attentionMask().orElse(null);
        if (mask != null && mask.getShape().get(1) != past + steps) {
            throw new IllegalArgumentException("attentionMask must be (B, cached + new) = (" + batch + ", "
                    + (past + steps) + "), was " + mask.getShape());
        }
        String adapter = request.adapter().orElse(null);
        NDManager m = ids.getManager();

        LayerPass pass = prepare(request, m, mask, cache, past, steps, batch);
        NDArray[] cosSin = pass.cosSin();
        NDArray bias = pass.bias();
        NDArray h = pass.embeddings(); // (B, T, H)
        for (int i = 0; i < layers.size(); i++) {
            h = layerFreeingIntermediates(i, h, pass, cache, past);
        }
        if (cache != null) {
            cache.advance(steps);
        }
        if (request.lastPositionOnly()) {
            h = h.get(new NDIndex(":, -1:, :")); // (B, 1, H)
        }
        return norm.forward(h); // (B, T, H)
    }

    /**
     * Layer {@code index} of a pass, its intermediate arrays freed as soon as it returns instead of when the pass (or
     * training step) ends: autograd holds its own references to the few the backward pass needs, so a step keeps
     * only those, as PyTorch frees what Python no longer names (the 110M benchmark's peak: docs/benchmarks.md). The
     * cache's buffers and recurrent states leave the scope as the cache takes them ({@link DecoderCache}), so a
     * prefill that fills a cache frees as much as one without. The output goes back to the caller's scope.
     * Activation checkpointing runs its layers in such a scope too.
     *
     * @param cache the pass's cache, or null
     * @param past the positions already in the cache
     */
    private NDArray layerFreeingIntermediates(int index, NDArray h, LayerPass pass, DecoderCache cache, int past) {
        return Blocks.freeingIntermediates(() -> layer(index, h, pass, cache, past)); // (B, T, H)
    }

    /** Layer {@code index} over {@code past} positions already in {@code cache} (or none): (B, T, H) to (B, T, H). */
    private NDArray layer(int index, NDArray h, LayerPass pass, DecoderCache cache, int past) {
        return pass.added(
                index,
                layers.get(index).forward(h, pass.context(layout.rope(), cache, index, past, h, params.dataType())));
    }

    /** Positions, rotary tables, the attention bias and the embeddings of a pass over {@code steps} new tokens. */
    private LayerPass prepare(
            ForwardRequest request, NDManager m, NDArray mask, DecoderCache cache, int past, int steps, long batch) {
        NDArray positions = request.positionIds().orElseGet(() -> positions(m, mask, past, steps, batch)); // (B, T)
        long[] shift = cache == null ? null : cache.positionShift();
        if (shift != null) {
            positions = positions.add(m.create(shift).reshape(batch, 1)); // (B, T): text after an image, M-RoPE
        }
        NDArray embeddings = embed(request.inputIds()); // (B, T, H)
        NDArray ropePositions = positions;
        // (B, T) bidirectional blocks: the request's (a prefix-LM row's), or what a media stage made of them, or null
        NDArray blocks = request.attentionBlocks().orElse(null);
        List<NDArray> additions = List.of(); // (B, T, H) each: added to the first layers' outputs (DeepStack)
        if (mediaStage != null) {
            StagedInputs staged = mediaStage.apply(request, embeddings, positions);
            embeddings = staged.embeddings();
            ropePositions = staged.ropePositions();
            blocks = staged.attentionBlocks() != null ? staged.attentionBlocks() : blocks;
            additions = staged.layerAdditions();
            if (additions.size() > layers.size()) {
                throw new IllegalArgumentException("the media stage adds to " + additions.size()
                        + " layers' outputs but the decoder has " + layers.size() + " layers");
            }
            if (cache != null && staged.positionShift() != null) {
                cache.shiftPositions(staged.positionShift());
            }
        } else if (request.media().isPresent()) {
            throw new IllegalArgumentException("model type " + config.modelType() + " takes text only, but the request"
                    + " has media " + request.media().get().tensors().keySet());
        }
        RotaryEmbedding rope = layout.rope();
        NDArray[] cosSin = null;
        if (rope != null) {
            float[] frequencies = ropeFrequencies != null ? ropeFrequencies : rope.inverseFrequencies(past + steps);
            cosSin = rope.cosSin(ropePositions, frequencies, params.dataType());
        }
        // explicit positions that restart at 0 inside a row mark packed samples (as transformers reads
        // position_ids for padding-free batches): each sample then sees only its own tokens
        NDArray samples =
                request.positionIds().isPresent() && past == 0 ? sampleIds(positions) : null; // (B, T) or null
        NDArray together = blocks == null ? null : together(m, blocks, past, steps); // (B, T, P + T) or null
        NDArray bias = attentionBias(m, mask, samples, together, past, steps); // (B or 1, 1, 1, T, P + T) or null
        NDArray padding =
                mask == null ? null : mask.get(new NDIndex(":, {}:", past)).toType(params.dataType(), false); // (B, T)
        return new LayerPass(embeddings, cosSin, bias, request.adapter().orElse(null), together, additions, padding);
    }

    /**
     * A training pass taken layer by layer, for activation checkpointing ({@code --gradient_checkpointing}):
     * the trainer runs the layers once keeping only their inputs, then each layer again, with gradients,
     * during the backward pass.
     *
     * @param embeddings (B, T, H) the scaled token embeddings
     * @param cosSin the rotary tables of the positions, or null when the family has no RoPE
     * @param bias the additive attention bias, or null
     * @param adapter the LoRA adapter, or null
     * @param together (B, T, S) where a query and a key are in one attention block of a media stage, or null
     * @param layerAdditions (B, T, H) each: added to the output of layer {@code i} ({@link StagedInputs#layerAdditions})
     * @param padding (B, T) 1 for the real new tokens, 0 for padding, or null without an attention mask
     */
    public record LayerPass(
            NDArray embeddings,
            NDArray[] cosSin,
            NDArray bias,
            String adapter,
            NDArray together,
            List<NDArray> layerAdditions,
            NDArray padding) {

        public LayerPass {
            layerAdditions = layerAdditions == null ? List.of() : List.copyOf(layerAdditions);
        }

        /** A pass without additions to the layers' outputs and without a padding mask for recurrent layers. */
        public LayerPass(NDArray embeddings, NDArray[] cosSin, NDArray bias, String adapter, NDArray together) {
            this(embeddings, cosSin, bias, adapter, together, List.of(), null);
        }

        /** A pass without attention blocks. */
        public LayerPass(NDArray embeddings, NDArray[] cosSin, NDArray bias, String adapter) {
            this(embeddings, cosSin, bias, adapter, null, List.of(), null);
        }

        /** Layer {@code layer}'s output {@code h} (B, T, H) plus what the media stage adds to it. */
        public NDArray added(int layer, NDArray h) {
            return layer < layerAdditions.size()
                    ? h.add(layerAdditions.get(layer).toType(h.getDataType(), false))
                    : h;
        }

        /**
         * What layer {@code layer}'s attention sees of this pass over {@code past} cached positions.
         *
         * @param h (B, T, H) the layer's input
         */
        private PassContext context(
                RotaryEmbedding rope, DecoderCache cache, int layer, int past, NDArray h, DataType type) {
            return new PassContext(
                    rope,
                    cosSin,
                    bias,
                    together,
                    padding,
                    cache,
                    layer,
                    past,
                    Math.toIntExact(h.getShape().get(1)),
                    h.getManager(),
                    adapter,
                    type);
        }
    }

    /** Starts a layer-by-layer pass over a whole batch (no cache). */
    public LayerPass beginLayers(ForwardRequest request) {
        NDArray ids = request.inputIds(); // (B, T)
        NDArray mask = request.attentionMask().orElse(null);
        return prepare(
                request,
                ids.getManager(),
                mask,
                null,
                0,
                Math.toIntExact(ids.getShape().get(1)),
                ids.getShape().get(0));
    }

    /** The token embeddings, scaled as the architecture wants: (B, T) ids to (B, T, H). */
    public NDArray embed(NDArray ids) {
        // torch.embedding: the lookup op autograd knows, rather than advanced indexing
        NDArray h =
                Embedding.embedding(ids, embedTokens.get(), SparseFormat.DENSE).singletonOrThrow(); // (B, T, H)
        return layout.embeddingScale() != 1.0 ? Scalars.mul(h, (float) layout.embeddingScale()) : h;
    }

    public int layerCount() {
        return layers.size();
    }

    /** Decoder layer {@code index} of a layer-by-layer pass: (B, T, H) to (B, T, H). */
    public NDArray layer(int index, NDArray h, LayerPass pass) {
        return layer(index, h, pass, null, 0);
    }

    /**
     * The output head alone, on final hidden states after the last norm ({@link #hiddenStates}): (B, T, H) to F32
     * logits (B, T, V); a generative reranker reads the logits of the last token only.
     *
     * @param adapter the LoRA adapter, or null
     */
    public NDArray outputHead(NDArray normed, String adapter) {
        return softcapped(lmHead.forward(normed, adapter).toType(DataType.FLOAT32, false));
    }

    /** The final norm and the output head of a layer-by-layer pass: (B, T, H) to F32 logits (B, T, V). */
    public NDArray head(NDArray h, LayerPass pass) {
        return softcapped(output(norm.forward(h), pass.adapter()).toType(DataType.FLOAT32, false));
    }

    /**
     * The output head on (B, T, H): {@code h·Wᵀ}, or with a normalized head {@code h·normalize(W)ᵀ}, each row of
     * W divided by its length (at least 1e-12, as torch's F.normalize) inside autograd.
     *
     * @return (B, T, V)
     */
    private NDArray output(NDArray h, String adapter) {
        if (!normalizedHead) {
            return lmHead.forward(h, adapter);
        }
        if (adapter != null && lmHead.adapter(adapter) != null) {
            throw new IllegalStateException("the normalized output head (Baichuan 2's NormHead) takes no LoRA adapter");
        }
        NDArray w = lmHead.quantization().isPresent()
                ? lmHead.dequantizedWeight(h.getDataType())
                : lmHead.weight().get(); // (V, H)
        NDArray length = Scalars.maximum(w.square().sum(new int[] {1}, true).sqrt(), 1e-12); // (V, 1)
        return h.matMul(w.div(length).transpose()); // (B, T, V)
    }

    /** @param logits (B, T, V) float32 @return c·tanh(logits / c), or the logits when there is no cap */
    private NDArray softcapped(NDArray logits) {
        if (logitSoftcap == 0) {
            return logits;
        }
        float cap = (float) logitSoftcap;
        return Scalars.mul(Scalars.div(logits, cap).tanh(), cap); // (B, T, V)
    }

    private static DecoderCache decoderCache(KvCache cache) {
        if (cache instanceof DecoderCache c) {
            return c;
        }
        throw new IllegalArgumentException("the cache was not made by this model (use newCache)");
    }

    /** Positions count real tokens only: cumsum(mask) - 1 over cached + new, the new part kept. */
    private static NDArray positions(NDManager m, NDArray mask, int past, int steps, long batch) {
        if (mask == null) {
            return m.arange(past, past + steps)
                    .toType(DataType.INT64, false)
                    .expandDims(0)
                    .repeat(0, batch); // (B, T)
        }
        NDArray counted =
                Scalars.maximum(Scalars.sub(mask.toType(DataType.INT64, false).cumSum(1), 1), 0); // (B, P + T)
        return counted.get(new NDIndex(":, {}:", past)); // (B, T)
    }

    /** The packed sample each position belongs to: a new one starts wherever the position is 0. */
    private static NDArray sampleIds(NDArray positions) {
        return positions.eq(0).toType(DataType.INT64, false).cumSum(1); // (B, T)
    }

    /**
     * Where a new query and a key are in one attention block of a media stage: (B, T) block ids, -1 for none, to
     * (B, T, P + T); cached keys are in none.
     */
    private static NDArray together(NDManager m, NDArray blocks, int past, int steps) {
        if (blocks.getShape().dimension() != 2 || blocks.getShape().get(1) != steps) {
            throw new IllegalArgumentException(
                    "a media stage's attention blocks must be (B, T) = (B, " + steps + "), were " + blocks.getShape());
        }
        NDArray ids = blocks.toType(DataType.INT64, false);
        NDArray together = ids.expandDims(2)
                .eq(ids.expandDims(1))
                .logicalAnd(ids.gte(0).expandDims(2)); // (B, T, 1) vs (B, 1, T) -> (B, T, T)
        if (past > 0) {
            together = m.zeros(new Shape(ids.getShape().get(0), steps, past), DataType.BOOLEAN)
                    .concat(together, 2); // (B, T, P + T): cached keys stay causal
        }
        return together;
    }

    /**
     * Additive attention bias: 0 where a query may see a key (causal, within the sliding window, key not
     * padding), -1e9 elsewhere: exp underflows to exactly 0, a fully padded row stays finite, and, unlike
     * -Float.MAX_VALUE, training does not turn NaN (seen in SftTrainerTest at a high learning rate). A media
     * stage's {@code blocks} (B, T) open the causal mask among the new tokens of one block (transformers'
     * {@code block_sequence_ids}: (causal or same block) and not padding).
     */
    private NDArray attentionBias(NDManager m, NDArray mask, NDArray samples, NDArray together, int past, int steps) {
        int total = past + steps;
        if (mask == null
                && samples == null
                && together == null
                && steps == 1
                && (layout.slidingWindow() == 0 || total <= layout.slidingWindow())) {
            return null; // one new token sees everything before it
        }
        NDArray query = m.arange(past, total).toType(DataType.INT64, false).reshape(steps, 1); // (T, 1)
        NDArray key = m.arange(0, total).toType(DataType.INT64, false).reshape(1, total); // (1, P + T)
        NDArray allowed = key.lte(query); // (T, P + T)
        if (layout.slidingWindow() > 0) {
            allowed = allowed.logicalAnd(key.gt(Scalars.sub(query, layout.slidingWindow())));
        }
        allowed = allowed.expandDims(0); // (1, T, P + T)
        if (together != null) {
            allowed = allowed.logicalOr(together); // (B, T, P + T)
        }
        if (mask != null) {
            allowed = allowed.logicalAnd(mask.toType(DataType.BOOLEAN, false).expandDims(1)); // (B, T, P + T)
        }
        if (samples != null) {
            allowed = allowed.logicalAnd(
                    samples.expandDims(2).eq(samples.expandDims(1))); // (B, T, 1) vs (B, 1, T) -> (B, T, T)
        }
        float min = params.dataType() == DataType.FLOAT16 ? -65504f : -1e9f;
        NDArray bias = Scalars.mul(allowed.logicalNot().toType(params.dataType(), false), min); // (B, T, P + T)
        return bias.expandDims(1).expandDims(1); // (B, 1, 1, T, P + T): (batch, kvHeads, group, query, key)
    }

    /** One decoder layer: pre-norm attention and a feed-forward block, each with a residual connection. */
    private static final class Layer {
        final Norm inputNorm;
        final Attention attention;
        final Norm postAttentionNorm;
        final FeedForward feedForward;

        /** The blocks in checkpoint order (what a fresh model's seeded initial values follow). */
        Layer(Parameters p, String prefix, int index, DecoderLayout layout) {
            CheckpointKeys keys = layout.keys();
            int h = layout.hiddenSize();
            inputNorm = layout.inputNorm().create(p, prefix + "." + keys.inputNorm(), h);
            attention = layout.attention().create(p, prefix + "." + keys.attention(), index, h);
            postAttentionNorm = layout.postAttentionNorm().create(p, prefix + "." + keys.postAttentionNorm(), h);
            feedForward = layout.feedForward().create(p, prefix + "." + keys.feedForward(), index, h);
        }

        /** (B, T, H) to (B, T, H). */
        NDArray forward(NDArray h, PassContext context) {
            h = h.add(attention.forward(inputNorm.forward(h), context));
            return h.add(feedForward.forward(postAttentionNorm.forward(h), context.adapter()));
        }
    }

    /** What one layer's attention sees of a pass: its rotary tables, mask, cache and adapter. */
    private record PassContext(
            RotaryEmbedding rope,
            NDArray[] cosSin,
            NDArray bias,
            NDArray together,
            NDArray padding,
            DecoderCache cache,
            int layer,
            int past,
            int steps,
            NDManager manager,
            String adapter,
            DataType type)
            implements AttentionContext {

        /**
         * The bias with keys {@code window} or more positions before their query masked, except keys of the query's
         * attention block: (causal and inside the window) or same block, and not padding, as transformers ORs
         * {@code block_sequence_ids} over its sliding-window mask.
         */
        @Override
        public NDArray slidingBias(int window) {
            if (window <= 0) {
                return bias;
            }
            int total = past + steps;
            if (total <= window) {
                return bias; // every key is inside the window
            }
            NDManager m = manager;
            NDArray queryAt =
                    m.arange(past, total).toType(DataType.INT64, false).reshape(steps, 1); // (T, 1)
            NDArray keyAt = m.arange(0, total).toType(DataType.INT64, false).reshape(1, total); // (1, S)
            NDArray outside = keyAt.lte(Scalars.sub(queryAt, window)).expandDims(0); // (1, T, S)
            if (together != null) {
                outside = outside.logicalAnd(together.logicalNot()); // (B, T, S)
            }
            float min = type == DataType.FLOAT16 ? -65504f : -1e9f;
            NDArray windowBias =
                    Scalars.mul(outside.toType(type, false), min).expandDims(1).expandDims(1); // (B or 1, 1, 1, T, S)
            // not their sum: -1e9 twice would overflow float16 to -inf
            return bias == null ? windowBias : bias.minimum(windowBias);
        }

        @Override
        public NDArray rotate(NDArray x) {
            return rope == null ? x : rope.apply(layer, x, cosSin);
        }

        @Override
        public NDArray rotateQueries(NDArray x) {
            return rope == null ? x : rope.applyToQueries(layer, x, cosSin);
        }

        @Override
        public NDArray[] remember(NDArray key, NDArray value) {
            return cache == null ? new NDArray[] {key, value} : cache.append(layer, key, value);
        }

        @Override
        public NDArray paddingMask() {
            return padding;
        }

        @Override
        public NDArray[] recurrentState() {
            return cache == null ? null : cache.state(layer);
        }

        @Override
        public void keepRecurrentState(NDArray... state) {
            if (cache != null) {
                cache.keepState(layer, state);
            }
        }
    }
}
