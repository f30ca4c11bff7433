package dev.osprey.models.qwen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.KvCache;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.model.decoder.DecoderCache;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.reference.HfReference;

/**
 * Qwen3-Next's recurrent state under continuous batching, chunked prefill and training, on the reference fixture: a
 * prompt read in two parts equals it read whole; caches prefilled
 * apart, stacked (left-padded) and decoded together, then one row selected out, give each row's tokens alone; a
 * training pass reaches every parameter of the linear-attention layers and a few steps lower the loss.
 */
class Qwen3NextStateTest {

    private static final long[] LONG = {1, 17, 93, 5, 44, 120, 8, 61, 33, 77, 12, 99};
    private static final long[] SHORT = {1, 64, 23, 87, 110, 3, 50};
    private static final int STEPS = 4;

    @Test
    void stackedAndSelectedCachesDecodeAsTheRowsAlone() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                HfModel loaded = load(manager)) {
            LanguageModel model = loaded.model();
            List<Long> longAlone = decodeAlone(model, manager, LONG, STEPS);
            List<Long> shortAlone = decodeAlone(model, manager, SHORT, STEPS);

            try (KvCache first = model.newCache(1);
                    KvCache second = model.newCache(1)) {
                long a = next(model.forward(request(manager, LONG, null, first)).logits(), 0);
                long b = next(
                        model.forward(request(manager, SHORT, null, second)).logits(), 0);
                DecoderCache stacked = DecoderCache.stack(List.of((DecoderCache) first, (DecoderCache) second));
                List<Long> longTogether = new ArrayList<>(List.of(a));
                List<Long> shortTogether = new ArrayList<>(List.of(b));
                int padding = LONG.length - SHORT.length;
                for (int step = 1; step < STEPS - 1; step++) {
                    int length = stacked.length() + 1;
                    long[] mask = new long[2 * length];
                    for (int t = 0; t < length; t++) {
                        mask[t] = 1;
                        mask[length + t] = t < padding ? 0 : 1;
                    }
                    ForwardRequest both = ForwardRequest.builder(manager.create(new long[] {a, b}, new Shape(2, 1)))
                            .optAttentionMask(manager.create(mask, new Shape(2, length)))
                            .optCache(stacked)
                            .optLastPositionOnly(true)
                            .build();
                    NDArray logits = model.forward(both).logits(); // (2, 1, V)
                    a = next(logits, 0);
                    b = next(logits, 1);
                    longTogether.add(a);
                    shortTogether.add(b);
                }
                assertArrayEquals(prefix(longAlone, STEPS - 1), toArray(longTogether), "the long row, stacked");
                assertArrayEquals(prefix(shortAlone, STEPS - 1), toArray(shortTogether), "the short row, stacked");

                try (DecoderCache selected = stacked.selectRows(new long[] {1}, padding)) {
                    stacked.close();
                    NDArray logits = model.forward(request(manager, new long[] {b}, null, selected))
                            .logits();
                    shortTogether.add(next(logits, 0));
                }
                assertArrayEquals(toArray(shortAlone), toArray(shortTogether), "the short row, selected out");
            }
        }
    }

    /** A prompt read in two parts through the cache (the second part multi-token) ends as the whole prompt does. */
    @Test
    void aPromptReadInPartsEqualsItReadWhole() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                HfModel loaded = load(manager)) {
            LanguageModel model = loaded.model();
            float[] whole;
            try (KvCache cache = model.newCache(1)) {
                whole = model.forward(request(manager, LONG, null, cache))
                        .logits()
                        .toFloatArray();
            }
            float[] parts;
            try (KvCache cache = model.newCache(1)) {
                model.forward(request(manager, java.util.Arrays.copyOfRange(LONG, 0, 7), null, cache));
                parts = model.forward(request(manager, java.util.Arrays.copyOfRange(LONG, 7, LONG.length), null, cache))
                        .logits()
                        .toFloatArray();
            }
            float worst = 0;
            for (int i = 0; i < whole.length; i++) {
                worst = Math.max(worst, Math.abs(whole[i] - parts[i]));
            }
            assertTrue(worst < 1e-4f, "the last logits differ by " + worst);
        }
    }

    /**
     * In float16 (the recurrent state stays float32) the logits of a prefill and of decode steps through the cache,
     * fed the same tokens, stay within 1% of float32's.
     */
    @Test
    void float16FollowsFloat32ThroughTheCache() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                HfModel full = load(manager);
                HfModel half = ModelLoader.load(
                        HfReference.fixture(Qwen3NextStateTest.class, "qwen3-next"),
                        config -> new Qwen3NextArchitecture(),
                        manager,
                        DataType.FLOAT16);
                KvCache fullCache = full.model().newCache(1);
                KvCache halfCache = half.model().newCache(1)) {
            assertEquals(
                    DataType.FLOAT16,
                    half.model()
                            .parameters()
                            .get("model.layers.0.linear_attn.in_proj_qkvz.weight")
                            .getDataType());
            long[] input = LONG;
            for (int step = 0; step < STEPS; step++) {
                NDArray expected = full.model()
                        .forward(request(manager, input, null, fullCache))
                        .logits();
                float[] e = expected.toFloatArray();
                float[] a = half.model()
                        .forward(request(manager, input, null, halfCache))
                        .logits()
                        .toFloatArray();
                float scale = 0;
                float worst = 0;
                for (int i = 0; i < e.length; i++) {
                    scale = Math.max(scale, Math.abs(e[i]));
                    worst = Math.max(worst, Math.abs(e[i] - a[i]));
                }
                assertTrue(worst <= 0.01f * scale, "step " + step + ": float16 differs by " + worst + " of " + scale);
                input = new long[] {next(expected, 0)};
            }
        }
    }

    @Test
    void trainingReachesTheRecurrentLayersAndLowersTheLoss() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                HfModel loaded = load(manager)) {
            LanguageModel model = loaded.model();
            Map<String, NDArray> params = model.parameters();
            params.values().forEach(p -> p.setRequiresGradient(true));
            NDArray ids = manager.create(LONG, new Shape(1, LONG.length));
            float firstLoss = 0;
            float lastLoss = 0;
            for (int step = 0; step < 4; step++) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.forward(ForwardRequest.builder(ids)
                                    .optTraining(true)
                                    .build())
                            .logits();
                    NDArray loss = Losses.causalLm(logits, ids);
                    collector.backward(loss);
                    lastLoss = loss.getFloat();
                }
                if (step == 0) {
                    firstLoss = lastLoss;
                    for (String name : List.of(
                            "model.layers.0.linear_attn.A_log",
                            "model.layers.0.linear_attn.dt_bias",
                            "model.layers.0.linear_attn.conv1d.weight",
                            "model.layers.0.linear_attn.in_proj_qkvz.weight",
                            "model.layers.0.linear_attn.in_proj_ba.weight",
                            "model.layers.0.linear_attn.norm.weight",
                            "model.layers.1.self_attn.q_proj.weight")) {
                        NDArray grad = params.get(name).getGradient();
                        assertNotNull(grad, name);
                        assertTrue(grad.abs().sum().getFloat() > 0, "no gradient reaches " + name);
                    }
                }
                for (NDArray p : params.values()) {
                    NDArray update = Scalars.mul(p.getGradient(), 0.05f);
                    p.subi(update);
                    update.close();
                }
            }
            assertTrue(lastLoss < firstLoss, "four steps of SGD took the loss from " + firstLoss + " to " + lastLoss);
        }
    }

    private static HfModel load(NDManager manager) throws Exception {
        return ModelLoader.load(
                HfReference.fixture(Qwen3NextStateTest.class, "qwen3-next"),
                config -> new Qwen3NextArchitecture(),
                manager,
                DataType.FLOAT32);
    }

    /** Greedy tokens of one prompt alone, through its own cache. */
    private static List<Long> decodeAlone(LanguageModel model, NDManager manager, long[] prompt, int steps) {
        List<Long> tokens = new ArrayList<>();
        try (KvCache cache = model.newCache(1)) {
            long token =
                    next(model.forward(request(manager, prompt, null, cache)).logits(), 0);
            tokens.add(token);
            for (int step = 1; step < steps; step++) {
                token = next(
                        model.forward(request(manager, new long[] {token}, null, cache))
                                .logits(),
                        0);
                tokens.add(token);
            }
        }
        return tokens;
    }

    private static ForwardRequest request(NDManager manager, long[] ids, NDArray mask, KvCache cache) {
        return ForwardRequest.builder(manager.create(ids, new Shape(1, ids.length)))
                .optAttentionMask(mask)
                .optCache(cache)
                .optLastPositionOnly(true)
                .build();
    }

    /** @param logits (B, 1, V) @return the argmax of row {@code row} */
    private static long next(NDArray logits, int row) {
        return logits.get(row).get(0).argMax().getLong();
    }

    private static long[] prefix(List<Long> tokens, int n) {
        return toArray(tokens.subList(0, n));
    }

    private static long[] toArray(List<Long> tokens) {
        return tokens.stream().mapToLong(Long::longValue).toArray();
    }
}
