package dev.osprey.models.qwenvl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.ForwardResult;
import dev.osprey.api.model.KvCache;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * Qwen2-VL's logits, loss, M-RoPE positions, greedy tokens through the KV cache and LoRA outputs equal those
 * Hugging Face transformers computed for the same tiny checkpoint and images (written by
 * tools/make-multimodal-fixtures.py; src/test/resources/reference/qwen2-vl): a left-padded batch of two rows, the
 * first with two images of different shapes, the second with one.
 */
class Qwen2VlReferenceTest {

    private static Path folder;
    private static JsonNode ref;
    private static NDManager manager;
    private static HfModel model;
    private static long[][] ids;
    private static long[][] mask;
    private static long[][] labels;
    private static float[] pixels;
    private static long[] grids;

    @BeforeAll
    static void load() throws IOException {
        folder = HfReference.fixture(Qwen2VlReferenceTest.class, "qwen2-vl");
        ref = new ObjectMapper().readTree(folder.resolve("reference.json").toFile());
        manager = NDManager.newBaseManager();
        model = ModelLoader.load(folder, config -> new Qwen2VlArchitecture(), manager, DataType.FLOAT32);
        ids = matrix(ref.get("input_ids"));
        mask = matrix(ref.get("attention_mask"));
        labels = matrix(ref.get("labels"));
        WeightFiles inputs = WeightFiles.openFile(folder.resolve("inputs.safetensors"));
        try (NDManager scratch = manager.newSubManager()) {
            pixels = inputs.load(scratch, MediaTensors.PIXEL_VALUES, DataType.FLOAT32)
                    .toFloatArray();
            grids = inputs.load(scratch, MediaTensors.IMAGE_GRID_THW, null).toLongArray();
        }
    }

    @AfterAll
    static void close() {
        model.close();
        manager.close();
    }

    @Test
    void everyCheckpointTensorHasAPlace() {
        assertEquals(List.of(), model.unusedWeights());
        MultimodalKeys keys = model.model().multimodalKeys().orElseThrow();
        assertEquals("aligner", keys.moduleOf("visual.merger.mlp.0.weight").orElseThrow());
        assertEquals(
                "vision_tower", keys.moduleOf("visual.blocks.0.attn.qkv.weight").orElseThrow());
        assertEquals(
                "language_model",
                keys.moduleOf("model.layers.0.self_attn.q_proj.weight").orElseThrow());
        assertEquals("language_model", keys.moduleOf("lm_head.weight").orElseThrow());
    }

    @Test
    void mropePositionsAreTransformers() {
        int batch = ids.length;
        int steps = ids[0].length;
        long[] text = new long[batch * steps];
        for (int b = 0; b < batch; b++) {
            long counted = 0;
            for (int t = 0; t < steps; t++) {
                counted += mask[b][t];
                text[b * steps + t] = Math.max(counted - 1, 0); // the decoder's positions: real tokens counted
            }
        }
        MropePositions mrope =
                MropePositions.of(flat(ids), text, batch, steps, 151, imageGrids(0, 3), 152, new long[0][], 2);
        JsonNode expected = ref.get("mrope_position_ids");
        for (int axis = 0; axis < 3; axis++) {
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < steps; t++) {
                    if (mask[b][t] == 1) {
                        assertEquals(
                                expected.get(axis).get(b).get(t).asLong(),
                                mrope.positions()[(axis * batch + b) * steps + t],
                                "axis " + axis + " row " + b + " token " + t);
                    }
                }
            }
        }
        assertArrayEquals(longs(ref.get("rope_deltas")), mrope.shift(), "rope_deltas");
        assertArrayEquals(new int[] {0, 0, 1}, mrope.imageRows());
    }

    @Test
    void logitsAndLossAreTransformers() {
        compareForward("qwen2-vl", null, ref.get("logits"), ref.get("loss").asDouble());
    }

    @Test
    void greedyTokensThroughTheCacheAreTransformers() {
        JsonNode greedy = ref.get("greedy");
        int newTokens = greedy.get("max_new_tokens").asInt();
        List<long[]> batched = decode(ids, mask, 0, 3, newTokens);
        int image = 0;
        for (int b = 0; b < ids.length; b++) {
            assertArrayEquals(
                    longs(greedy.get("tokens").get(b)), batched.get(b), "greedy tokens of row " + b + " in the batch");
            long[] real = Arrays.stream(ids[b])
                    .skip(ids[b].length - Arrays.stream(mask[b]).sum())
                    .toArray();
            int images = (int) Arrays.stream(real).filter(t -> t == 150).count(); // <|vision_start|>
            long[][] alone = {real};
            long[][] ones = {Arrays.stream(real).map(t -> 1).toArray()};
            assertArrayEquals(
                    longs(greedy.get("tokens_alone").get(b)),
                    decode(alone, ones, image, image + images, newTokens).get(0),
                    "greedy tokens of row " + b + " alone");
            image += images;
        }
    }

    @Test
    void loraAdapterWithTransformers5NamesIsTransformers() throws IOException {
        JsonNode lora = ref.get("lora");
        LanguageModel language = model.model();
        List<Linear> linears = LoraMerge.linearsOf(language);
        List<String> attached = PeftAdapter.attach(
                folder.resolve(lora.get("folder").asText()), linears, "ref", manager, language::checkpointKey);
        assertEquals(lora.get("modules").size(), attached.size(), "the adapter's modules, attached " + attached);
        assertTrue(attached.stream().allMatch(m -> m.startsWith("model.layers.")), attached.toString());
        try {
            compareForward(
                    "qwen2-vl with its LoRA adapter",
                    "ref",
                    lora.get("logits"),
                    lora.get("loss").asDouble());
        } finally {
            for (Linear linear : linears) {
                if (linear.adapter("ref") != null) {
                    linear.detach("ref");
                }
            }
        }
    }

    @Test
    void aTextOnlyPassIsTheQwen2DecoderWithThreeEqualPositions() {
        try (NDManager scope = manager.newSubManager()) {
            long[] prompt = {1, 17, 93, 5, 44};
            NDArray tokens = scope.create(prompt, new Shape(1, prompt.length));
            NDArray whole = model.model()
                    .forward(ForwardRequest.builder(tokens).build())
                    .logits(); // (1, T, V)
            try (KvCache cache = model.model().newCache(1)) {
                model.model()
                        .forward(ForwardRequest.builder(tokens.get(new NDIndex(":, :4")))
                                .optCache(cache)
                                .build());
                NDArray last = model.model()
                        .forward(ForwardRequest.builder(tokens.get(new NDIndex(":, 4:")))
                                .optCache(cache)
                                .build())
                        .logits(); // (1, 1, V)
                float[] expected = whole.get(new NDIndex("0, 4")).toFloatArray();
                float[] actual = last.get(new NDIndex("0, 0")).toFloatArray();
                for (int v = 0; v < expected.length; v++) {
                    assertEquals(expected[v], actual[v], 1e-4, "token " + v);
                }
            }
        }
    }

    @Test
    void mediaThatDoNotFitThePlaceholdersAreRefusedByName() {
        try (NDManager scope = manager.newSubManager()) {
            // row 0's two images only: the third image's grid is missing
            ForwardRequest request = ForwardRequest.builder(scope.create(flat(ids), new Shape(2, ids[0].length)))
                    .optAttentionMask(scope.create(flat(mask), new Shape(2, ids[0].length)))
                    .optMedia(media(scope, 0, 2))
                    .build();
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> model.model().forward(request));
            assertTrue(e.getMessage().contains("image_grid_thw"), e.getMessage());

            ForwardRequest misplaced = ForwardRequest.builder(scope.create(flat(ids), new Shape(2, ids[0].length)))
                    .optAttentionMask(scope.create(flat(mask), new Shape(2, ids[0].length)))
                    .optMedia(new MediaTensors(
                            media(scope, 0, 3).tensors(), Map.of(MediaTensors.IMAGE, new int[] {0, 1, 1})))
                    .build();
            e = assertThrows(IllegalArgumentException.class, () -> model.model().forward(misplaced));
            assertTrue(e.getMessage().contains("rows [0, 1, 1]"), e.getMessage());
        }
    }

    @Test
    void gradientsReachTheVisionTowerAndTheMerger() throws Exception {
        long[] prompt = Arrays.stream(ids[0]).toArray(); // row 0: two images, no padding
        for (String key : List.of(
                "visual.patch_embed.proj.weight",
                "visual.blocks.0.attn.qkv.weight",
                "visual.blocks.1.mlp.fc1.bias",
                "visual.merger.ln_q.weight",
                "visual.blocks.0.norm1.weight",
                "visual.merger.ln_q.bias",
                "visual.merger.mlp.0.weight")) {
            GradientCheck.check(folder, new Qwen2VlArchitecture(), key, 0, 1e-3f, prompt, scope -> media(scope, 0, 2));
        }
    }

    private void compareForward(String what, String adapter, JsonNode expected, double expectedLoss) {
        Shape shape = new Shape(ids.length, ids[0].length);
        try (NDManager scope = manager.newSubManager()) {
            ForwardRequest request = ForwardRequest.builder(scope.create(flat(ids), shape))
                    .optAttentionMask(scope.create(flat(mask), shape))
                    .optAdapter(adapter)
                    .optMedia(media(scope, 0, 3))
                    .build();
            NDArray logits = model.model().forward(request).logits(); // (B, T, V)
            HfReference.assertLogits(what, logits, mask, expected);
            double loss =
                    Losses.causalLm(logits, scope.create(flat(labels), shape)).getFloat();
            assertEquals(
                    expectedLoss, loss, HfReference.RELATIVE_TOLERANCE * Math.max(1, expectedLoss), what + ": loss");
        }
    }

    /** Greedy decoding: the prompt with images {@code [from, to)} through the cache, then one token per step. */
    private static List<long[]> decode(long[][] prompt, long[][] promptMask, int from, int to, int newTokens) {
        int batch = prompt.length;
        List<List<Long>> out = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            out.add(new ArrayList<>());
        }
        try (NDManager scope = manager.newSubManager();
                KvCache cache = model.model().newCache(batch)) {
            long[][] attention = promptMask;
            ForwardResult step = model.model()
                    .forward(ForwardRequest.builder(scope.create(flat(prompt), new Shape(batch, prompt[0].length)))
                            .optAttentionMask(scope.create(flat(attention), new Shape(batch, prompt[0].length)))
                            .optMedia(media(scope, from, to))
                            .optCache(cache)
                            .optLastPositionOnly(true)
                            .build());
            for (int n = 0; n < newTokens; n++) {
                long[] next =
                        step.logits().argMax(-1).toType(DataType.INT64, false).toLongArray(); // (B)
                for (int b = 0; b < batch; b++) {
                    out.get(b).add(next[b]);
                }
                long[][] grown = new long[batch][];
                for (int b = 0; b < batch; b++) {
                    grown[b] = Arrays.copyOf(attention[b], attention[b].length + 1);
                    grown[b][attention[b].length] = 1;
                }
                attention = grown;
                step = model.model()
                        .forward(ForwardRequest.builder(scope.create(next, new Shape(batch, 1)))
                                .optAttentionMask(scope.create(flat(attention), new Shape(batch, attention[0].length)))
                                .optCache(cache)
                                .optLastPositionOnly(true)
                                .build());
            }
        }
        List<long[]> tokens = new ArrayList<>();
        for (List<Long> row : out) {
            tokens.add(row.stream().mapToLong(Long::longValue).toArray());
        }
        return tokens;
    }

    /** Images {@code [from, to)} of the fixture: their patches and grids. */
    private static MediaTensors media(NDManager scope, int from, int to) {
        long[][] chosen = imageGrids(from, to);
        int patchFeatures = 3 * 2 * 14 * 14;
        long before = 0;
        for (long[] g : imageGrids(0, from)) {
            before += g[0] * g[1] * g[2];
        }
        long count = 0;
        for (long[] g : chosen) {
            count += g[0] * g[1] * g[2];
        }
        float[] patches =
                Arrays.copyOfRange(pixels, (int) (before * patchFeatures), (int) ((before + count) * patchFeatures));
        return MediaTensors.of(Map.of(
                MediaTensors.PIXEL_VALUES,
                scope.create(patches, new Shape(count, patchFeatures)),
                MediaTensors.IMAGE_GRID_THW,
                scope.create(flat(chosen), new Shape(chosen.length, 3))));
    }

    private static long[][] imageGrids(int from, int to) {
        long[][] g = new long[to - from][];
        for (int i = from; i < to; i++) {
            g[i - from] = Arrays.copyOfRange(grids, 3 * i, 3 * i + 3);
        }
        return g;
    }

    private static long[][] matrix(JsonNode node) {
        long[][] m = new long[node.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = longs(node.get(i));
        }
        return m;
    }

    private static long[] longs(JsonNode node) {
        long[] v = new long[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = node.get(i).asLong();
        }
        return v;
    }

    private static long[] flat(long[][] m) {
        if (m.length == 0) {
            return new long[0];
        }
        long[] v = new long[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, v, i * m[0].length, m[0].length);
        }
        return v;
    }
}
