package com.example.osprey.gpt;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.ForwardResult;
import dev.osprey.api.model.KvCache;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AdaptableLinears;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.ParameterStore;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.Weight;

/**
 * GPT-2 on DJL, as transformers' {@code GPT2LMHeadModel} computes it: token plus learned position
 * embeddings, pre-LayerNorm blocks of fused-q/k/v attention and a GELU MLP, a final LayerNorm and a head tied
 * to the token table. Parameters come from the SPI's {@link ParameterStore} under GPT-2's checkpoint keys
 * ({@code transformer.h.0.attn.c_attn.weight}, stored (in, out) as {@code Conv1D}), so the platform loads,
 * saves and trains them by name and wraps the four Conv1D layers of each block with LoRA
 * ({@link AdaptableLinears}).
 *
 * <p>Positions follow the attention mask (a left-padded row starts at 0), explicit positions that restart at 0
 * mark packed samples that see only themselves, and the KV cache grows by concatenation. Dropout
 * ({@code resid_pdrop}, {@code embd_pdrop}, {@code attn_pdrop}) is not applied, as in the platform's own
 * decoders; LoRA's dropout is. Shapes: B batch, T new positions, S cached plus new, H hidden, D head size.
 */
final class GptModel implements LanguageModel, AdaptableLinears {

    /** Masked scores: exp underflows to exactly 0 and a fully padded row stays finite. */
    private static final float MASKED = -1e9f;

    private final GptConfig gpt;
    private final ModelConfig config;
    private final ParameterStore store;
    private final Weight tokenTable;
    private final Weight positionTable;
    private final List<Block> blocks = new ArrayList<>();
    private final Weight finalNormWeight;
    private final Weight finalNormBias;
    private final Projection head;

    /** Parameters in checkpoint order, fresh (seed 0) until the platform loads the checkpoint's. */
    GptModel(GptConfig gpt, ModelConfig config, NDManager manager) {
        this.gpt = gpt;
        this.config = config;
        this.store = Blocks.parameters(manager, DataType.FLOAT32, 0, gpt.initStd());
        this.tokenTable = store.normal("transformer.wte.weight", gpt.vocabSize(), gpt.hidden());
        this.positionTable = store.normal("transformer.wpe.weight", gpt.positions(), gpt.hidden());
        for (int i = 0; i < gpt.layers(); i++) {
            blocks.add(new Block(store, "transformer.h." + i, i));
        }
        this.finalNormWeight = store.ones("transformer.ln_f.weight", gpt.hidden());
        this.finalNormBias = store.zeros("transformer.ln_f.bias", gpt.hidden());
        // GPT-2's head is the token table; an untied one is a plain linear, which LoRA leaves alone as PEFT does
        this.head = gpt.tiedHead() ? null : store.plainLinear("lm_head", gpt.hidden(), gpt.vocabSize(), false);
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Map<String, NDArray> parameters() {
        return store.arrays();
    }

    @Override
    public List<? extends Projection> adaptableLinears() {
        return store.adaptable();
    }

    @Override
    public KvCache newCache(int batchSize) {
        return new GptCache(gpt.layers(), batchSize);
    }

    @Override
    public void close() {
        store.close();
    }

    @Override
    public ForwardResult forward(ForwardRequest request) {
        if (request.training()) {
            return Blocks.trainingPass(() -> run(request)); // the autograd graph keeps every intermediate
        }
        try (NDScope scope = new NDScope()) { // an inference pass frees its intermediates on return
            scope.suppressNotUsedWarning();
            ForwardResult result = run(request);
            NDScope.unregister(result.logits());
            if (result.cache() instanceof GptCache cache) {
                cache.keep();
            }
            return result;
        }
    }

    private ForwardResult run(ForwardRequest request) {
        NDArray ids = request.inputIds(); // (B, T)
        long batch = ids.getShape().get(0);
        int steps = Math.toIntExact(ids.getShape().get(1));
        GptCache cache = request.cache().map(GptModel::gptCache).orElse(null);
        int past = cache == null ? 0 : cache.length();
        if (cache != null && cache.batchSize() != batch) {
            throw new IllegalArgumentException(
                    "the cache holds " + cache.batchSize() + " sequences but the batch has " + batch);
        }
        if (past + steps > gpt.positions()) {
            throw new IllegalArgumentException("gpt2: " + (past + steps) + " positions exceed n_positions "
                    + gpt.positions() + " of " + config.source());
        }
        NDArray mask = request.attentionMask().orElse(null);
        if (mask != null && mask.getShape().get(1) != past + steps) {
            throw new IllegalArgumentException("attentionMask must be (B, cached + new) = (" + batch + ", "
                    + (past + steps) + "), was " + mask.getShape());
        }
        String adapter = request.adapter().orElse(null);
        NDManager m = ids.getManager();
        NDArray positions = request.positionIds().orElseGet(() -> positions(m, mask, past, steps, batch)); // (B, T)
        // explicit positions that restart at 0 inside a row mark packed samples (padding-free batches)
        NDArray samples = request.positionIds().isPresent() && past == 0 ? sampleIds(positions) : null; // (B, T)
        NDArray bias = attentionBias(m, mask, samples, past, steps); // (B or 1, 1, T, S) or null
        NDArray h = lookup(ids, tokenTable).add(lookup(positions, positionTable)); // (B, T, H)
        for (Block block : blocks) {
            h = block.forward(h, bias, cache, adapter);
        }
        if (cache != null) {
            cache.advance(steps);
        }
        if (request.lastPositionOnly()) {
            h = h.get(new NDIndex(":, -1:, :")); // (B, 1, H)
        }
        h = layerNorm(h, finalNormWeight, finalNormBias); // (B, T, H)
        NDArray logits = head == null
                ? h.matMul(tokenTable.get().transpose()) // (B, T, H) x (H, V)
                : head.forward(h, adapter); // (B, T, V)
        return new ForwardResult(logits, cache);
    }

    /** One pre-LayerNorm block: {@code h + attn(ln_1(h))}, then {@code h + mlp(ln_2(h))}. */
    private final class Block {
        final int index;
        final Weight norm1Weight;
        final Weight norm1Bias;
        final Projection qkv;
        final Projection attentionOut;
        final Weight norm2Weight;
        final Weight norm2Bias;
        final Projection up;
        final Projection down;

        Block(ParameterStore p, String prefix, int index) {
            int h = gpt.hidden();
            this.index = index;
            norm1Weight = p.ones(prefix + ".ln_1.weight", h);
            norm1Bias = p.zeros(prefix + ".ln_1.bias", h);
            qkv = p.conv1d(prefix + ".attn.c_attn", h, 3L * h, true);
            attentionOut = p.conv1d(prefix + ".attn.c_proj", h, h, true);
            norm2Weight = p.ones(prefix + ".ln_2.weight", h);
            norm2Bias = p.zeros(prefix + ".ln_2.bias", h);
            up = p.conv1d(prefix + ".mlp.c_fc", h, gpt.inner(), true);
            down = p.conv1d(prefix + ".mlp.c_proj", gpt.inner(), h, true);
        }

        /** (B, T, H) to (B, T, H). */
        NDArray forward(NDArray h, NDArray bias, GptCache cache, String adapter) {
            h = h.add(attention(layerNorm(h, norm1Weight, norm1Bias), bias, cache, adapter));
            NDArray inner = activation(up.forward(layerNorm(h, norm2Weight, norm2Bias), adapter)); // (B, T, inner)
            return h.add(down.forward(inner, adapter));
        }

        private NDArray attention(NDArray x, NDArray bias, GptCache cache, String adapter) {
            long batch = x.getShape().get(0);
            long steps = x.getShape().get(1);
            NDList qkvParts = qkv.forward(x, adapter).split(3, 2); // (B, T, 3H) -> 3 x (B, T, H), q first
            NDArray q = heads(qkvParts.get(0)); // (B, heads, T, D)
            NDArray k = heads(qkvParts.get(1));
            NDArray v = heads(qkvParts.get(2));
            if (cache != null) {
                NDArray[] kv = cache.append(index, k, v);
                k = kv[0]; // (B, heads, S, D)
                v = kv[1];
            }
            double scale = 1 / Math.sqrt(gpt.headDim()) / (gpt.scaleByLayer() ? index + 1 : 1);
            NDArray scores = Scalars.mul(q.matMul(k.transpose(0, 1, 3, 2)), (float) scale); // (B, heads, T, S)
            if (bias != null) {
                scores = scores.add(bias); // (B or 1, 1, T, S) broadcast over heads
            }
            NDArray out = scores.softmax(-1).matMul(v); // (B, heads, T, D)
            out = out.transpose(0, 2, 1, 3).reshape(batch, steps, gpt.hidden()); // (B, T, H)
            return attentionOut.forward(out, adapter);
        }

        /** (B, T, H) to (B, heads, T, D). */
        private NDArray heads(NDArray x) {
            long batch = x.getShape().get(0);
            long steps = x.getShape().get(1);
            return x.reshape(batch, steps, gpt.heads(), gpt.headDim()).transpose(0, 2, 1, 3);
        }
    }

    /** {@code activation_function}: GELU exact (erf) or its tanh approximation (gelu_new, as GPT-2 trained). */
    private NDArray activation(NDArray x) {
        if (gpt.activation().equals("gelu")) {
            return Activation.gelu(x);
        }
        // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), transformers' NewGELUActivation
        NDArray cubic = Scalars.mul(Scalars.pow(x, 3f), 0.044715f);
        NDArray inner = Scalars.mul(x.add(cubic), (float) Math.sqrt(2 / Math.PI));
        return Scalars.mul(x, 0.5f).mul(Scalars.add(inner.tanh(), 1f));
    }

    /** LayerNorm over the last axis with a scale and a bias: (..., H) to (..., H). */
    private NDArray layerNorm(NDArray x, Weight weight, Weight bias) {
        return LayerNorm.layerNorm(x, new Shape(gpt.hidden()), weight.get(), bias.get(), (float) gpt.eps())
                .singletonOrThrow();
    }

    /** Rows of a table: (B, T) ids to (B, T, H), through the lookup op autograd knows. */
    private static NDArray lookup(NDArray ids, Weight table) {
        return Embedding.embedding(ids, table.get(), SparseFormat.DENSE).singletonOrThrow();
    }

    /** Positions count real tokens only: cumsum(mask) - 1 over cached + new, the new part kept; (B, T). */
    private static NDArray positions(NDManager m, NDArray mask, int past, int steps, long batch) {
        if (mask == null) {
            return m.arange(past, past + steps)
                    .toType(DataType.INT64, false)
                    .expandDims(0)
                    .repeat(0, batch); // (B, T)
        }
        NDArray counted =
                Scalars.maximum(Scalars.sub(mask.toType(DataType.INT64, false).cumSum(1), 1), 0); // (B, S)
        return counted.get(new NDIndex(":, {}:", past)); // (B, T)
    }

    /** The packed sample each position belongs to: a new one starts wherever the position is 0; (B, T). */
    private static NDArray sampleIds(NDArray positions) {
        return positions.eq(0).toType(DataType.INT64, false).cumSum(1);
    }

    /**
     * Additive attention bias: 0 where a query may see a key (causal, key not padding, same packed sample),
     * {@link #MASKED} elsewhere; null when one new token may see everything before it.
     *
     * @return (B or 1, 1, T, S)
     */
    private static NDArray attentionBias(NDManager m, NDArray mask, NDArray samples, int past, int steps) {
        int total = past + steps;
        if (mask == null && samples == null && steps == 1) {
            return null;
        }
        NDArray query = m.arange(past, total).toType(DataType.INT64, false).reshape(steps, 1); // (T, 1)
        NDArray key = m.arange(0, total).toType(DataType.INT64, false).reshape(1, total); // (1, S)
        NDArray allowed = key.lte(query).expandDims(0); // (1, T, S)
        if (mask != null) {
            allowed = allowed.logicalAnd(mask.toType(DataType.BOOLEAN, false).expandDims(1)); // (B, T, S)
        }
        if (samples != null) {
            allowed = allowed.logicalAnd(samples.expandDims(2).eq(samples.expandDims(1))); // (B, T, T)
        }
        NDArray bias = Scalars.mul(allowed.logicalNot().toType(DataType.FLOAT32, false), MASKED); // (B, T, S)
        return bias.expandDims(1); // (B, 1, T, S)
    }

    private static GptCache gptCache(KvCache cache) {
        if (cache instanceof GptCache c) {
            return c;
        }
        throw new IllegalArgumentException("the cache was not made by this gpt2 model (use newCache)");
    }
}
