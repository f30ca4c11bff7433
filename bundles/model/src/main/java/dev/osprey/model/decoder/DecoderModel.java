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
import ai.djl.ndarray.NDList;
import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.ForwardResult;
import dev.osprey.api.model.KvCache;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.nn.InferenceThreads;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.Param;
import dev.osprey.model.nn.Params;
import dev.osprey.model.nn.RmsNorm;

/**
 * The decoder-only transformer of Llama and its relatives, configured by a {@link DecoderSpec}. Module
 * names mirror Hugging Face checkpoint keys ({@code model.layers.N.self_attn.q_proj.weight}), so
 * weights load by name.
 *
 * <p>A forward pass takes a batch (B, T) with an optional attention mask (B, P + T) for padding and a
 * cache holding P earlier positions; positions follow the mask, so left-padded rows give the same
 * results as the rows alone. Intermediate arrays live in an {@link NDScope} and are freed when the pass
 * returns, except the logits and the cache; in training mode they stay for the backward pass, and the
 * training loop frees them after its update (an {@link NDScope} around the whole step).
 */
public final class DecoderModel implements LanguageModel {

    private final ModelConfig config;
    private final DecoderSpec spec;
    private final Params params;
    private final Param embedTokens;
    private final List<Layer> layers = new ArrayList<>();
    private final RmsNorm norm;
    private final Linear lmHead;
    /** RoPE's inverse frequencies, computed once unless they depend on the length. */
    private final float[] ropeFrequencies;

    public DecoderModel(ModelConfig config, DecoderSpec spec, NDManager manager, DataType dataType, long seed) {
        this.config = config;
        this.spec = spec;
        this.params = new Params(manager, dataType, seed, spec.initStd());
        this.embedTokens = params.normal("model.embed_tokens.weight", new Shape(spec.vocabSize(), spec.hiddenSize()));
        for (int i = 0; i < spec.layers(); i++) {
            layers.add(new Layer(params, "model.layers." + i, i, spec));
        }
        this.norm = new RmsNorm(params, "model.norm.weight", spec.hiddenSize(), spec.rmsEps(), spec.normOffset());
        this.lmHead = spec.tieWordEmbeddings() ? new Linear("lm_head", embedTokens)
                : new Linear(params, "lm_head", spec.hiddenSize(), spec.vocabSize(), false);
        this.ropeFrequencies = spec.rope().dependsOnLength() ? null : spec.rope().inverseFrequencies(0);
    }

    public DecoderSpec spec() {
        return spec;
    }

    public Params params() {
        return params;
    }

    /** Every linear layer, for attaching LoRA adapters by module name. */
    public List<Linear> linears() {
        List<Linear> all = new ArrayList<>();
        layers.forEach(l -> all.addAll(l.linears()));
        return all;
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
        return new DecoderCache(spec.layers(), batchSize);
    }

    /** Frees every parameter array (adapters attached to linear layers are their owner's to close). */
    @Override
    public void close() {
        params.closeAll();
        layers.forEach(l -> l.linears().forEach(linear -> {
            if (linear.quantizedWeight() != null) {
                linear.quantizedWeight().close(); // quantized layers left the parameters
            }
        }));
    }

    @Override
    public ForwardResult forward(ForwardRequest request) {
        if (request.training()) {
            return dev.osprey.model.nn.TrainingMode.during(true, () -> run(request)); // LoRA dropout on
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            ForwardResult result = InferenceThreads.during(() -> run(request)); // no gradients: may use every core
            NDScope.unregister(result.logits());
            if (result.cache() instanceof DecoderCache c) {
                for (int i = 0; i < spec.layers(); i++) {
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
            return dev.osprey.model.nn.TrainingMode.during(true, () -> hidden(request));
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray h = InferenceThreads.during(() -> hidden(request));
            NDScope.unregister(h);
            if (request.cache().orElse(null) instanceof DecoderCache c) {
                for (int i = 0; i < spec.layers(); i++) {
                    NDScope.unregister(c.key(i), c.value(i));
                }
            }
            return h;
        }
    }

    private ForwardResult run(ForwardRequest request) {
        DecoderCache cache = request.cache().map(DecoderModel::decoderCache).orElse(null);
        NDArray h = hidden(request); // (B, T, H)
        NDArray logits = lmHead.forward(h, request.adapter().orElse(null)).toType(DataType.FLOAT32, false); // (B, T, V)
        return new ForwardResult(logits, cache);
    }

    private NDArray hidden(ForwardRequest request) {
        NDArray ids = request.inputIds(); // (B, T)
        long batch = ids.getShape().get(0);
        int steps = Math.toIntExact(ids.getShape().get(1));
        DecoderCache cache = request.cache().map(DecoderModel::decoderCache).orElse(null);
        int past = cache == null ? 0 : cache.length();
        if (cache != null && cache.batchSize() != batch) {
            throw new IllegalArgumentException("the cache holds " + cache.batchSize() + " sequences but the batch has " + batch);
        }
        NDArray mask = request.attentionMask().orElse(null);
        if (mask != null && mask.getShape().get(1) != past + steps) {
            throw new IllegalArgumentException("attentionMask must be (B, cached + new) = (" + batch + ", " + (past + steps)
                    + "), was " + mask.getShape());
        }
        String adapter = request.adapter().orElse(null);
        NDManager m = ids.getManager();

        LayerPass pass = prepare(request, m, mask, past, steps, batch);
        NDArray[] cosSin = pass.cosSin();
        NDArray bias = pass.bias();
        NDArray h = pass.embeddings(); // (B, T, H)
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(h, cosSin, bias, cache, i, adapter);
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
        float[] frequencies = ropeFrequencies != null ? ropeFrequencies : spec.rope().inverseFrequencies(past + steps);
        NDArray[] cosSin = spec.rope().cosSin(positions, frequencies, params.dataType());
        // explicit positions that restart at 0 inside a row mark packed samples (as transformers reads
        // position_ids for padding-free batches): each sample then sees only its own tokens
        NDArray samples = request.positionIds().isPresent() && past == 0 ? sampleIds(positions) : null; // (B, T) or null
        NDArray bias = attentionBias(m, mask, samples, past, steps); // (B or 1, 1, 1, T, P + T) or null
        return new LayerPass(embed(request.inputIds()), cosSin, bias, request.adapter().orElse(null));
    }

    /**
     * A training pass taken layer by layer, for activation checkpointing ({@code --gradient_checkpointing}):
     * the trainer runs the layers once keeping only their inputs, then each layer again, with gradients,
     * during the backward pass.
     *
     * @param embeddings (B, T, H) the scaled token embeddings
     * @param cosSin the rotary tables of the positions
     * @param bias the additive attention bias, or null
     * @param adapter the LoRA adapter, or null
     */
    public record LayerPass(NDArray embeddings, NDArray[] cosSin, NDArray bias, String adapter) {
    }

    /** Starts a layer-by-layer pass over a whole batch (no cache). */
    public LayerPass beginLayers(ForwardRequest request) {
        NDArray ids = request.inputIds(); // (B, T)
        NDArray mask = request.attentionMask().orElse(null);
        return prepare(request, ids.getManager(), mask, 0, Math.toIntExact(ids.getShape().get(1)), ids.getShape().get(0));
    }

    /** The token embeddings, scaled as the architecture wants: (B, T) ids to (B, T, H). */
    public NDArray embed(NDArray ids) {
        // torch.embedding: the lookup op autograd knows, rather than advanced indexing
        NDArray h = ai.djl.nn.core.Embedding.embedding(ids, embedTokens.get(), ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow(); // (B, T, H)
        return spec.embeddingScale() != 1.0 ? Scalars.mul(h, (float) spec.embeddingScale()) : h;
    }

    public int layerCount() {
        return layers.size();
    }

    /** Decoder layer {@code index} of a layer-by-layer pass: (B, T, H) to (B, T, H). */
    public NDArray layer(int index, NDArray h, LayerPass pass) {
        return layers.get(index).forward(h, pass.cosSin(), pass.bias(), null, index, pass.adapter());
    }

    /** The final norm and the output head of a layer-by-layer pass: (B, T, H) to F32 logits (B, T, V). */
    public NDArray head(NDArray h, LayerPass pass) {
        return lmHead.forward(norm.forward(h), pass.adapter()).toType(DataType.FLOAT32, false);
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
            return m.arange(past, past + steps).toType(DataType.INT64, false).expandDims(0).repeat(0, batch); // (B, T)
        }
        NDArray counted = Scalars.maximum(Scalars.sub(mask.toType(DataType.INT64, false).cumSum(1), 1), 0); // (B, P + T)
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
        if (mask == null && samples == null && steps == 1 && (spec.slidingWindow() == 0 || total <= spec.slidingWindow())) {
            return null; // one new token sees everything before it
        }
        NDArray query = m.arange(past, total).toType(DataType.INT64, false).reshape(steps, 1); // (T, 1)
        NDArray key = m.arange(0, total).toType(DataType.INT64, false).reshape(1, total); // (1, P + T)
        NDArray allowed = key.lte(query); // (T, P + T)
        if (spec.slidingWindow() > 0) {
            allowed = allowed.logicalAnd(key.gt(Scalars.sub(query, spec.slidingWindow())));
        }
        allowed = allowed.expandDims(0); // (1, T, P + T)
        if (mask != null) {
            allowed = allowed.logicalAnd(mask.toType(DataType.BOOLEAN, false).expandDims(1)); // (B, T, P + T)
        }
        if (samples != null) {
            allowed = allowed.logicalAnd(samples.expandDims(2).eq(samples.expandDims(1))); // (B, T, 1) vs (B, 1, T) -> (B, T, T)
        }
        float min = params.dataType() == DataType.FLOAT16 ? -65504f : -1e9f;
        NDArray bias = Scalars.mul(allowed.logicalNot().toType(params.dataType(), false), min); // (B, T, P + T)
        return bias.expandDims(1).expandDims(1); // (B, 1, 1, T, P + T): (batch, kvHeads, group, query, key)
    }

    /** One decoder layer: pre-norm self-attention and a feed-forward block, each with a residual connection. */
    private static final class Layer {
        final DecoderSpec spec;
        final RmsNorm inputNorm;
        final RmsNorm postAttentionNorm;
        final Linear q;
        final Linear k;
        final Linear v;
        final Linear qkv;
        final Linear o;
        final RmsNorm qNorm;
        final RmsNorm kNorm;
        final FeedForward feedForward;

        Layer(Params p, String prefix, int index, DecoderSpec spec) {
            this.spec = spec;
            int h = spec.hiddenSize();
            int d = spec.headDim();
            long qOut = (long) spec.heads() * d;
            long kvOut = (long) spec.kvHeads() * d;
            inputNorm = new RmsNorm(p, prefix + ".input_layernorm.weight", h, spec.rmsEps(), spec.normOffset());
            if (spec.fusedProjections()) {
                qkv = new Linear(p, prefix + ".self_attn.qkv_proj", h, qOut + 2 * kvOut, spec.qkvBias());
                q = null;
                k = null;
                v = null;
            } else {
                qkv = null;
                q = new Linear(p, prefix + ".self_attn.q_proj", h, qOut, spec.qkvBias());
                k = new Linear(p, prefix + ".self_attn.k_proj", h, kvOut, spec.qkvBias());
                v = new Linear(p, prefix + ".self_attn.v_proj", h, kvOut, spec.qkvBias());
            }
            o = new Linear(p, prefix + ".self_attn.o_proj", qOut, h, spec.outputBias());
            DecoderSpec.QkNormLayout norms = spec.qkNormLayout();
            qNorm = spec.qkNorm() ? new RmsNorm(p, prefix + ".self_attn." + norms.queryNorm() + ".weight", d, spec.rmsEps(),
                    spec.normOffset()) : null;
            kNorm = spec.qkNorm() ? new RmsNorm(p, prefix + ".self_attn." + norms.keyNorm() + ".weight", d, spec.rmsEps(),
                    spec.normOffset()) : null;
            postAttentionNorm = new RmsNorm(p, prefix + ".post_attention_layernorm.weight", h, spec.rmsEps(), spec.normOffset());
            MoeSpec moe = spec.moe();
            if (moe != null && !moe.denseLayers().contains(index)) {
                feedForward = new SparseMoe(p, prefix, moe, h, spec.mlpBias(), spec.activation());
            } else {
                feedForward = new GatedMlp(p, prefix + ".mlp", List.of("gate_proj", "up_proj", "down_proj"), h, spec.intermediateSize(),
                        spec.mlpBias(), spec.fusedProjections(), spec.activation());
            }
        }

        List<Linear> linears() {
            List<Linear> all = new ArrayList<>(qkv != null ? List.of(qkv, o) : List.of(q, k, v, o));
            all.addAll(feedForward.linears());
            return all;
        }

        NDArray forward(NDArray h, NDArray[] cosSin, NDArray bias, DecoderCache cache, int index, String adapter) {
            h = h.add(attention(inputNorm.forward(h), cosSin, bias, cache, index, adapter));
            return h.add(feedForward.forward(postAttentionNorm.forward(h), adapter));
        }

        private NDArray attention(NDArray x, NDArray[] cosSin, NDArray bias, DecoderCache cache, int index, String adapter) {
            long b = x.getShape().get(0);
            long t = x.getShape().get(1);
            int d = spec.headDim();
            int kvHeads = spec.kvHeads();
            int group = spec.heads() / kvHeads;
            NDArray qx;
            NDArray kx;
            NDArray vx;
            if (qkv != null) {
                long qOut = (long) spec.heads() * d;
                NDArray fused = qkv.forward(x, adapter); // (B, T, (heads + 2 kvHeads) D)
                NDList parts = fused.split(new long[] {qOut, qOut + (long) kvHeads * d}, 2); // q, k, v
                qx = parts.get(0);
                kx = parts.get(1);
                vx = parts.get(2);
            } else {
                qx = q.forward(x, adapter);
                kx = k.forward(x, adapter);
                vx = v.forward(x, adapter);
            }
            NDArray query = byHead(qx, b, t, spec.heads(), d); // (B, heads, T, D)
            NDArray key = byHead(kx, b, t, kvHeads, d); // (B, kvHeads, T, D)
            NDArray value = byHead(vx, b, t, kvHeads, d); // (B, kvHeads, T, D)
            boolean normsAfterRope = spec.qkNormLayout().afterRope();
            if (qNorm != null && !normsAfterRope) {
                query = qNorm.forward(query);
                key = kNorm.forward(key);
            }
            query = spec.rope().apply(query, cosSin);
            key = spec.rope().apply(key, cosSin);
            if (qNorm != null && normsAfterRope) {
                query = qNorm.forward(query);
                key = kNorm.forward(key);
            }
            if (cache != null) {
                NDArray[] kv = cache.append(index, key, value);
                key = kv[0]; // (B, kvHeads, P + T, D)
                value = kv[1];
            }
            // grouped-query attention without copying keys: queries grouped per key/value head
            NDArray grouped = query.reshape(b, kvHeads, group, t, d); // (B, kvHeads, group, T, D)
            NDArray k5 = key.expandDims(2); // (B, kvHeads, 1, S, D)
            NDArray v5 = value.expandDims(2); // (B, kvHeads, 1, S, D)
            NDArray scores = Scalars.mul(grouped.matMul(k5.transpose(0, 1, 2, 4, 3)), (float) (1.0 / Math.sqrt(d))); // (B, kvHeads, group, T, S)
            if (bias != null) {
                scores = scores.add(bias);
            }
            NDArray probs = scores.toType(DataType.FLOAT32, false).softmax(-1).toType(query.getDataType(), false);
            NDArray out = probs.matMul(v5); // (B, kvHeads, group, T, D)
            out = t == 1 ? out.reshape(b, 1, (long) spec.heads() * d) // (B, 1, heads*D): one position needs no transpose
                    : out.reshape(b, spec.heads(), t, d).transpose(0, 2, 1, 3).reshape(b, t, (long) spec.heads() * d); // (B, T, heads*D)
            return o.forward(out, adapter);
        }

        /** (B, T, n·D) to (B, n, T, D); a single position (decode) is a plain reshape, one op instead of two. */
        private static NDArray byHead(NDArray x, long b, long t, int n, int d) {
            return t == 1 ? x.reshape(b, n, 1, d) : x.reshape(b, t, n, d).transpose(0, 2, 1, 3);
        }
    }
}
