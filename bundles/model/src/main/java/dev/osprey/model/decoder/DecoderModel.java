package dev.osprey.model.decoder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
import dev.osprey.model.blocks.ModuleParameters;
import dev.osprey.model.nn.InferenceThreads;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.Param;
import dev.osprey.model.nn.Params;
import dev.osprey.model.nn.TrainingMode;
import dev.osprey.model.spi.AdaptableLinears;
import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.RotaryEmbedding;

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

    /** A Llama-like model as {@code spec} describes it, composed from the built-in blocks. */
    public DecoderModel(ModelConfig config, DecoderSpec spec, NDManager manager, DataType dataType, long seed) {
        this(config, SpecLayouts.of(spec), spec, 0, manager, dataType, seed);
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
        this(config, layout, SpecLayouts.summary(layout), logitSoftcap, manager, dataType, seed);
    }

    private DecoderModel(
            ModelConfig config,
            DecoderLayout layout,
            DecoderSpec spec,
            double logitSoftcap,
            NDManager manager,
            DataType dataType,
            long seed) {
        if (!(logitSoftcap >= 0) || Double.isInfinite(logitSoftcap)) {
            throw new IllegalArgumentException(
                    "the final logit soft cap must be finite and not negative, was " + logitSoftcap);
        }
        this.logitSoftcap = logitSoftcap;
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
                for (int i = 0; i < layout.layers(); i++) {
                    NDScope.unregister(c.key(i), c.value(i));
                }
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
                for (int i = 0; i < layout.layers(); i++) {
                    NDScope.unregister(c.key(i), c.value(i));
                }
            }
            return h;
        }
    }

    private ForwardResult run(ForwardRequest request) {
        DecoderCache cache = request.cache().map(DecoderModel::decoderCache).orElse(null);
        NDArray h = hidden(request); // (B, T, H)
        NDArray logits = softcapped(
                lmHead.forward(h, request.adapter().orElse(null)).toType(DataType.FLOAT32, false)); // (B, T, V)
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

        LayerPass pass = prepare(request, m, mask, past, steps, batch);
        NDArray[] cosSin = pass.cosSin();
        NDArray bias = pass.bias();
        NDArray h = pass.embeddings(); // (B, T, H)
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(h, new PassContext(layout.rope(), cosSin, bias, cache, i, adapter));
        }
        if (cache != null) {
            cache.advance(steps);
        }
        if (request.lastPositionOnly()) {
            h = h.get(new NDIndex(":, -1:, :")); // (B, 1, H)
        }
        return norm.forward(h); // (B, T, H)
    }

    /** Positions, rotary tables, the attention bias and the embeddings of a pass over {@code steps} new tokens. */
    private LayerPass prepare(ForwardRequest request, NDManager m, NDArray mask, int past, int steps, long batch) {
        NDArray positions = request.positionIds().orElseGet(() -> positions(m, mask, past, steps, batch)); // (B, T)
        RotaryEmbedding rope = layout.rope();
        NDArray[] cosSin = null;
        if (rope != null) {
            float[] frequencies = ropeFrequencies != null ? ropeFrequencies : rope.inverseFrequencies(past + steps);
            cosSin = rope.cosSin(positions, frequencies, params.dataType());
        }
        // explicit positions that restart at 0 inside a row mark packed samples (as transformers reads
        // position_ids for padding-free batches): each sample then sees only its own tokens
        NDArray samples =
                request.positionIds().isPresent() && past == 0 ? sampleIds(positions) : null; // (B, T) or null
        NDArray bias = attentionBias(m, mask, samples, past, steps); // (B or 1, 1, 1, T, P + T) or null
        return new LayerPass(
                embed(request.inputIds()), cosSin, bias, request.adapter().orElse(null));
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
     */
    public record LayerPass(NDArray embeddings, NDArray[] cosSin, NDArray bias, String adapter) {}

    /** Starts a layer-by-layer pass over a whole batch (no cache). */
    public LayerPass beginLayers(ForwardRequest request) {
        NDArray ids = request.inputIds(); // (B, T)
        NDArray mask = request.attentionMask().orElse(null);
        return prepare(
                request,
                ids.getManager(),
                mask,
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
        return layers.get(index)
                .forward(h, new PassContext(layout.rope(), pass.cosSin(), pass.bias(), null, index, pass.adapter()));
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
        return softcapped(lmHead.forward(norm.forward(h), pass.adapter()).toType(DataType.FLOAT32, false));
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
     * Additive attention bias: 0 where a query may see a key (causal, within the sliding window, key not
     * padding), -1e9 elsewhere: exp underflows to exactly 0, a fully padded row stays finite, and, unlike
     * -Float.MAX_VALUE, training does not turn NaN (seen in SftTrainerTest at a high learning rate).
     */
    private NDArray attentionBias(NDManager m, NDArray mask, NDArray samples, int past, int steps) {
        int total = past + steps;
        if (mask == null
                && samples == null
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
            RotaryEmbedding rope, NDArray[] cosSin, NDArray bias, DecoderCache cache, int layer, String adapter)
            implements AttentionContext {

        @Override
        public NDArray rotate(NDArray x) {
            return rope == null ? x : rope.apply(layer, x, cosSin);
        }

        @Override
        public NDArray[] remember(NDArray key, NDArray value) {
            return cache == null ? new NDArray[] {key, value} : cache.append(layer, key, value);
        }
    }
}
