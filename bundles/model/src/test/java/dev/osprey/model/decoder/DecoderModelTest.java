package dev.osprey.model.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.KvCache;
import dev.osprey.model.TinyModels;

/** The invariants a decoder must keep, on tiny random models with real math. */
class DecoderModelTest {

    private static final float TOLERANCE = 2e-4f;
    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray ids(long... values) {
        return manager.create(values, new Shape(1, values.length));
    }

    private static long[] randomIds(int n, long seed) {
        Random r = new Random(seed);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 1 + r.nextInt(63);
        }
        return ids;
    }

    private NDArray logits(DecoderModel model, NDArray ids) {
        return model.forward(ForwardRequest.builder(ids).build()).logits();
    }

    @Test
    void logitsHaveOneRowPerPositionOrOnlyTheLast() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 1);
        NDArray ids = ids(randomIds(6, 1));
        assertEquals(new Shape(1, 6, 64), logits(model, ids).getShape());
        NDArray last = model.forward(
                        ForwardRequest.builder(ids).optLastPositionOnly(true).build())
                .logits();
        assertEquals(new Shape(1, 1, 64), last.getShape());
        assertArrayEquals(
                logits(model, ids).get(new NDIndex(":, -1:, :")).toFloatArray(), last.toFloatArray(), TOLERANCE);
    }

    @Test
    void kvCacheDecodingEqualsAFullForwardPass() {
        for (DecoderSpec spec :
                new DecoderSpec[] {TinyModels.llama(), TinyModels.spec(true, true, 0), TinyModels.spec(false, false, 3)
                }) {
            DecoderModel model = TinyModels.build(manager, spec, 2);
            long[] tokens = randomIds(9, 2);
            float[] full = logits(model, ids(tokens)).toFloatArray(); // (1, 9, 64)
            try (KvCache cache = model.newCache(1)) {
                long[] prompt = java.util.Arrays.copyOf(tokens, 5);
                float[] prefill = model.forward(ForwardRequest.builder(ids(prompt))
                                .optCache(cache)
                                .build())
                        .logits()
                        .toFloatArray();
                assertArrayEquals(java.util.Arrays.copyOf(full, 5 * 64), prefill, TOLERANCE);
                for (int t = 5; t < 9; t++) {
                    float[] step = model.forward(ForwardRequest.builder(ids(tokens[t]))
                                    .optCache(cache)
                                    .build())
                            .logits()
                            .toFloatArray();
                    assertArrayEquals(
                            java.util.Arrays.copyOfRange(full, t * 64, (t + 1) * 64), step, TOLERANCE, "position " + t);
                }
                assertEquals(9, cache.length());
            }
        }
    }

    @Test
    void aBatchEqualsItsRowsRunAloneWithLeftPadding() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 3);
        long[] a = randomIds(7, 3);
        long[] b = randomIds(4, 4);
        NDArray batch = manager.create(
                new long[] {a[0], a[1], a[2], a[3], a[4], a[5], a[6], 0, 0, 0, b[0], b[1], b[2], b[3]},
                new Shape(2, 7));
        NDArray mask = manager.create(new long[] {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1}, new Shape(2, 7));
        NDArray batched = model.forward(
                        ForwardRequest.builder(batch).optAttentionMask(mask).build())
                .logits(); // (2, 7, 64)
        assertArrayEquals(
                logits(model, ids(a)).toFloatArray(),
                batched.get(new NDIndex("0")).toFloatArray(),
                TOLERANCE);
        assertArrayEquals(
                logits(model, ids(b)).toFloatArray(),
                batched.get(new NDIndex("1, 3:")).toFloatArray(),
                TOLERANCE);
        for (float f : batched.toFloatArray()) {
            assertFalse(Float.isNaN(f), "no NaN from padded rows");
        }
    }

    @Test
    void packedSamplesEachSeeOnlyThemselves() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 4);
        long[] a = randomIds(5, 7);
        long[] b = randomIds(3, 8);
        long[] packed = new long[8];
        System.arraycopy(a, 0, packed, 0, 5);
        System.arraycopy(b, 0, packed, 5, 3);
        NDArray positions =
                manager.create(new long[] {0, 1, 2, 3, 4, 0, 1, 2}, new Shape(1, 8)); // restarts at each sample
        NDArray logits = model.forward(ForwardRequest.builder(ids(packed))
                        .optPositionIds(positions)
                        .build())
                .logits(); // (1, 8, 64)
        assertArrayEquals(
                logits(model, ids(a)).toFloatArray(),
                logits.get(new NDIndex(":, :5")).toFloatArray(),
                TOLERANCE);
        assertArrayEquals(
                logits(model, ids(b)).toFloatArray(),
                logits.get(new NDIndex(":, 5:")).toFloatArray(),
                TOLERANCE);
    }

    @Test
    void paddedBatchedDecodingWithACacheMatchesTheRowsAlone() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 5);
        long[] a = randomIds(5, 5);
        long[] b = randomIds(3, 6);
        try (KvCache cache = model.newCache(2)) {
            NDArray prompt =
                    manager.create(new long[] {a[0], a[1], a[2], a[3], a[4], 0, 0, b[0], b[1], b[2]}, new Shape(2, 5));
            NDArray mask = manager.create(new long[] {1, 1, 1, 1, 1, 0, 0, 1, 1, 1}, new Shape(2, 5));
            model.forward(ForwardRequest.builder(prompt)
                    .optAttentionMask(mask)
                    .optCache(cache)
                    .build());
            NDArray next = manager.create(new long[] {7, 9}, new Shape(2, 1));
            NDArray mask2 = manager.create(new long[] {1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1}, new Shape(2, 6));
            NDArray step = model.forward(ForwardRequest.builder(next)
                            .optAttentionMask(mask2)
                            .optCache(cache)
                            .build())
                    .logits();
            float[] aloneA = logits(model, ids(a[0], a[1], a[2], a[3], a[4], 7))
                    .get(new NDIndex(":, -1, :"))
                    .toFloatArray();
            float[] aloneB = logits(model, ids(b[0], b[1], b[2], 9))
                    .get(new NDIndex(":, -1, :"))
                    .toFloatArray();
            assertArrayEquals(aloneA, step.get(new NDIndex("0, -1, :")).toFloatArray(), TOLERANCE);
            assertArrayEquals(aloneB, step.get(new NDIndex("1, -1, :")).toFloatArray(), TOLERANCE);
        }
    }

    @Test
    void aSlidingWindowHidesTokensBeyondIt() {
        DecoderSpec oneLayer = new DecoderSpec(
                64,
                32,
                48,
                1,
                4,
                2,
                8,
                1e-6,
                dev.osprey.model.nn.Rope.plain(10000, 8, 128),
                false,
                false,
                false,
                false,
                0f,
                1.0,
                "silu",
                3,
                false,
                0.2,
                false,
                null);
        DecoderModel model = TinyModels.build(manager, oneLayer, 7);
        long[] tokens = randomIds(8, 7);
        long[] changed = tokens.clone();
        changed[0] = (tokens[0] % 63) + 1 == tokens[0] ? tokens[0] + 1 : (tokens[0] % 63) + 1;
        float[] x = logits(model, ids(tokens)).toFloatArray();
        float[] y = logits(model, ids(changed)).toFloatArray();
        // position 2 still sees token 0 (window 3: positions 0..2), position 3 and later do not
        assertFalse(java.util.Arrays.equals(
                java.util.Arrays.copyOfRange(x, 2 * 64, 3 * 64), java.util.Arrays.copyOfRange(y, 2 * 64, 3 * 64)));
        assertArrayEquals(
                java.util.Arrays.copyOfRange(x, 3 * 64, 8 * 64),
                java.util.Arrays.copyOfRange(y, 3 * 64, 8 * 64),
                TOLERANCE);
    }

    /** A prefix-LM row through the request's attention blocks, on a text model without a media stage. */
    @Test
    void aPrefixBlockIsReadBothWaysAndTheRestCausally() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 9);
        long[] tokens = randomIds(8, 9);
        NDArray prefix = manager.create(new long[] {0, 0, 0, 0, -1, -1, -1, -1}, new Shape(1, 8));
        float[] x = prefixLm(model, tokens, prefix);
        long[] inPrefix = tokens.clone();
        inPrefix[3] = tokens[3] == 1 ? 2 : 1;
        long[] inAnswer = tokens.clone();
        inAnswer[6] = tokens[6] == 1 ? 2 : 1;
        // position 0 sees token 3 of its prefix; positions before 6 never see the answer's token 6
        assertFalse(java.util.Arrays.equals(
                java.util.Arrays.copyOfRange(x, 0, 64),
                java.util.Arrays.copyOfRange(prefixLm(model, inPrefix, prefix), 0, 64)));
        assertArrayEquals(
                java.util.Arrays.copyOfRange(x, 0, 6 * 64),
                java.util.Arrays.copyOfRange(prefixLm(model, inAnswer, prefix), 0, 6 * 64),
                TOLERANCE);
        // all -1 is the causal pass
        assertArrayEquals(
                logits(model, ids(tokens)).toFloatArray(),
                prefixLm(model, tokens, manager.full(new Shape(1, 8), -1L)),
                TOLERANCE);
        assertThrows(
                IllegalArgumentException.class,
                () -> ForwardRequest.builder(ids(tokens))
                        .optAttentionBlocks(manager.zeros(new Shape(1, 7), DataType.INT64))
                        .build());
    }

    private float[] prefixLm(DecoderModel model, long[] tokens, NDArray blocks) {
        return model.forward(ForwardRequest.builder(ids(tokens))
                        .optAttentionBlocks(blocks)
                        .build())
                .logits()
                .toFloatArray();
    }

    @Test
    void theSameSeedGivesTheSameModel() {
        long[] tokens = randomIds(4, 8);
        float[] first = logits(TinyModels.build(manager, TinyModels.llama(), 42), ids(tokens))
                .toFloatArray();
        float[] again = logits(TinyModels.build(manager, TinyModels.llama(), 42), ids(tokens))
                .toFloatArray();
        float[] other = logits(TinyModels.build(manager, TinyModels.llama(), 43), ids(tokens))
                .toFloatArray();
        assertArrayEquals(first, again, 0f);
        assertTrue(!java.util.Arrays.equals(first, other));
    }
}
