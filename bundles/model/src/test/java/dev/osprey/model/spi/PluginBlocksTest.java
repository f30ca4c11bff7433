package dev.osprey.model.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.KvCache;
import dev.osprey.model.Sgd;
import dev.osprey.model.TinyModels;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.nn.Linear;

/**
 * Blocks a plugin brings through the SPI get what the built-in ones get: parameters by checkpoint key,
 * LoRA targets, the KV cache, the layer-by-layer pass of gradient checkpointing, and gradients. The blocks
 * here are the platform's lack: a LayerNorm with a bias, and attention without RoPE whose scores are
 * divided by a learned per-head temperature.
 */
class PluginBlocksTest {

    private static final int HEADS = 4;
    private static final int HEAD_DIM = 8;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    /** (x - mean) / sqrt(var + 1e-5) * weight + bias. */
    private static final NormFactory LAYER_NORM = (parameters, module, size) -> {
        Weight weight = parameters.ones(module + ".weight", size);
        Weight bias = parameters.zeros(module + ".bias", size);
        return x -> {
            NDArray centred = x.sub(x.mean(new int[] {-1}, true)); // (..., H)
            NDArray variance = Scalars.pow(centred, 2).mean(new int[] {-1}, true); // (..., 1)
            return centred.div(Scalars.add(variance, 1e-5f).sqrt())
                    .mul(weight.get())
                    .add(bias.get());
        };
    };

    /** Multi-head attention without positions of its own, scores scaled per head by {@code temperature}. */
    private static final AttentionFactory TEMPERED = (parameters, module, layer, hidden) -> {
        Projection q = parameters.linear(module + ".q_proj", hidden, HEADS * HEAD_DIM, false);
        Projection k = parameters.linear(module + ".k_proj", hidden, HEADS * HEAD_DIM, false);
        Projection v = parameters.linear(module + ".v_proj", hidden, HEADS * HEAD_DIM, false);
        Projection o = parameters.linear(module + ".o_proj", HEADS * HEAD_DIM, hidden, false);
        Weight temperature = parameters.ones(module + ".temperature", HEADS);
        return (x, context) -> {
            String adapter = context.adapter();
            NDArray query =
                    context.rotate(AttentionMath.byHead(q.forward(x, adapter), HEADS, HEAD_DIM)); // (B, heads, T, D)
            query = query.div(temperature.get().reshape(1, HEADS, 1, 1)); // (B, heads, T, D)
            NDArray key =
                    context.rotate(AttentionMath.byHead(k.forward(x, adapter), HEADS, HEAD_DIM)); // (B, heads, T, D)
            NDArray[] kv = context.remember(
                    key, AttentionMath.byHead(v.forward(x, adapter), HEADS, HEAD_DIM)); // (B, heads, S, D)
            return o.forward(
                    AttentionMath.attend(query, kv[0], kv[1], context.bias(), (float) (1 / Math.sqrt(HEAD_DIM))),
                    adapter);
        };
    };

    private DecoderModel model(long seed) {
        DecoderLayout layout = new DecoderLayout(
                64,
                32,
                2,
                0.2,
                false,
                1.0,
                null,
                0,
                CheckpointKeys.LLAMA,
                LAYER_NORM,
                TEMPERED,
                LAYER_NORM,
                Blocks.gatedMlp(48, false, false, "silu"),
                LAYER_NORM);
        return new DecoderModel(TinyModels.EMPTY_CONFIG, layout, manager, DataType.FLOAT32, seed);
    }

    private NDArray ids() {
        return manager.create(new long[] {5, 9, 12, 5, 9, 12, 5, 9, 30, 31, 32, 33, 30, 31, 32, 33}, new Shape(2, 8));
    }

    @Test
    void parametersAndLoraTargetsAreNamedByCheckpointKeys() {
        DecoderModel model = model(1);
        assertTrue(
                model.parameters().containsKey("model.layers.1.self_attn.temperature"),
                model.parameters().keySet().toString());
        assertTrue(model.parameters().containsKey("model.layers.0.post_attention_layernorm.bias"));
        assertTrue(model.parameters().containsKey("model.norm.bias"));
        List<String> linears = model.linears().stream().map(Linear::name).toList();
        assertEquals(2 * 7, linears.size(), linears.toString());
        assertTrue(
                linears.contains("model.layers.1.self_attn.o_proj") && linears.contains("model.layers.1.mlp.down_proj"),
                linears.toString());
        assertTrue(model.layout().rope() == null && model.spec().hiddenSize() == 32);
    }

    @Test
    void cachedDecodingEqualsTheWholePass() {
        DecoderModel model = model(2);
        NDArray ids = ids();
        NDArray whole = model.forward(ForwardRequest.builder(ids).build()).logits(); // (2, 8, 64)
        try (KvCache cache = model.newCache(2)) {
            model.forward(ForwardRequest.builder(ids.get(new NDIndex(":, :7")))
                    .optCache(cache)
                    .build());
            NDArray last = model.forward(ForwardRequest.builder(ids.get(new NDIndex(":, 7:")))
                            .optCache(cache)
                            .build())
                    .logits();
            assertArrayEquals(whole.get(new NDIndex(":, 7:, :")).toFloatArray(), last.toFloatArray(), 1e-4f);
        }
    }

    @Test
    void theLayerByLayerPassEqualsTheWholePass() {
        DecoderModel model = model(3);
        ForwardRequest request = ForwardRequest.builder(ids()).build();
        NDArray whole = model.forward(request).logits();
        DecoderModel.LayerPass pass = model.beginLayers(request);
        NDArray h = pass.embeddings();
        for (int i = 0; i < model.layerCount(); i++) {
            h = model.layer(i, h, pass);
        }
        assertArrayEquals(whole.toFloatArray(), model.head(h, pass).toFloatArray(), 1e-5f);
    }

    @Test
    void gradientsReachThePluginsOwnParameters() {
        DecoderModel model = model(4);
        NDArray temperature = model.parameters().get("model.layers.0.self_attn.temperature");
        float[] before = temperature.toFloatArray();
        float[] losses =
                Sgd.run(model, ids(), null, new ArrayList<>(model.parameters().values()), 15, 0.05f);
        assertTrue(losses[1] < losses[0] * 0.9, "loss " + losses[0] + " -> " + losses[1]);
        assertNotEquals(
                before[0],
                model.parameters().get("model.layers.0.self_attn.temperature").toFloatArray()[0]);
    }
}
