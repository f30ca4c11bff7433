package dev.osprey.models.qwenvl;

import static dev.osprey.model.reference.MediaReference.flat;
import static dev.osprey.model.reference.MediaReference.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.KvCache;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * Qwen2-VL's, Qwen2.5-VL's, Qwen3-VL's and Qwen3-VL-MoE's logits, loss, M-RoPE positions, greedy tokens through the
 * KV cache and LoRA outputs equal those Hugging Face transformers computed for the same tiny checkpoints and media
 * (written by tools/make-multimodal-fixtures.py and tools/make-qwen3-vl-fixtures.py; src/test/resources/reference): a
 * left-padded batch of two rows, the first with two images of different shapes, the second with one (and, for
 * Qwen2.5-VL and Qwen3-VL, a video of two frame groups).
 */
class QwenVlReferenceTest {

    static Stream<Arguments> fixtures() {
        return Stream.of(
                arguments("qwen2-vl", new Qwen2VlArchitecture()),
                arguments("qwen2.5-vl", new Qwen25VlArchitecture()),
                arguments("qwen3-vl", new Qwen3VlArchitecture()),
                arguments("qwen3-vl-moe", new Qwen3VlMoeArchitecture()));
    }

    /** Where the language model's layers are: Qwen3-VL's checkpoints keep transformers 5's names. */
    private static String layers(QwenVlFamily architecture) {
        return qwen3(architecture) ? "model.language_model.layers." : "model.layers.";
    }

    private static boolean qwen3(QwenVlFamily architecture) {
        return architecture instanceof Qwen3VlArchitecture || architecture instanceof Qwen3VlMoeArchitecture;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void logitsLossGreedyTokensAndLoraAreTransformers(String name, QwenVlFamily architecture) throws IOException {
        // transformers 5 names the adapter's modules model.language_model.layers.N...; Qwen2-VL's are model.layers.N
        QwenVlTransformersCheck.logitsLossGreedyTokensAndLora(
                name,
                architecture,
                attached -> assertTrue(
                        attached.stream().allMatch(m -> m.startsWith(layers(architecture))), attached.toString()));
    }

    /**
     * {@code --packing}: the batch's two rows as one row, positions restarting at the second sample and the media in
     * order, give each sample transformers' logits of its own row (M-RoPE restarts with the sample, attention stays
     * inside it).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void aPackedRowGivesEachSampleItsOwnLogits(String name, QwenVlFamily architecture) throws IOException {
        QwenVlFixture f = new QwenVlFixture(name);
        int batch = f.ids.length;
        int steps = f.ids[0].length;
        List<Long> ids = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            long position = 0;
            for (int t = 0; t < steps; t++) {
                if (f.mask[b][t] == 1) {
                    ids.add(f.ids[b][t]);
                    positions.add(position++);
                }
            }
        }
        Shape packed = new Shape(1, ids.size());
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(f.folder, c -> architecture, manager, DataType.FLOAT32)) {
            float[] logits = model.model()
                    .forward(ForwardRequest.builder(manager.create(
                                    ids.stream().mapToLong(Long::longValue).toArray(), packed))
                            .optPositionIds(manager.create(
                                    positions.stream()
                                            .mapToLong(Long::longValue)
                                            .toArray(),
                                    packed))
                            .optMedia(f.media(manager))
                            .build())
                    .logits() // (1, tokens, V)
                    .toFloatArray();
            int vocab = logits.length / ids.size();
            float[] rows = new float[batch * steps * vocab]; // back in the batch's left-padded layout
            int at = 0;
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < steps; t++) {
                    if (f.mask[b][t] == 1) {
                        System.arraycopy(logits, at++ * vocab, rows, (b * steps + t) * vocab, vocab);
                    }
                }
            }
            HfReference.assertLogits(
                    name + " packed",
                    manager.create(rows, new Shape(batch, steps, vocab)),
                    f.mask,
                    f.ref.get("logits"));
        }
    }

    /**
     * An AWQ checkpoint as the Hub's Qwen2.5-VL-*-AWQ ids store it: the language model's linears packed, the vision
     * tower (quantization_config's modules_to_not_convert) dense.
     */
    @Test
    void aPreQuantizedCheckpointWithADenseVisionTowerIsTransformers() throws IOException {
        QwenVlFixture f = new QwenVlFixture("qwen2.5-vl-awq");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model =
                        ModelLoader.load(f.folder, c -> new Qwen25VlArchitecture(), manager, DataType.FLOAT32)) {
            assertEquals(List.of(), model.unusedWeights(), "every checkpoint tensor has a place");
            QwenVlTransformersCheck.forward(
                    "qwen2.5-vl-awq",
                    f,
                    model,
                    manager,
                    null,
                    f.ref.get("logits"),
                    f.ref.get("loss").asDouble());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void mropePositionsAreTransformers(String name, QwenVlFamily architecture) throws IOException {
        QwenVlFixture f = new QwenVlFixture(name);
        int batch = f.ids.length;
        int steps = f.ids[0].length;
        long[] text = new long[batch * steps];
        for (int b = 0; b < batch; b++) {
            long counted = 0;
            for (int t = 0; t < steps; t++) {
                counted += f.mask[b][t];
                text[b * steps + t] = Math.max(counted - 1, 0); // the decoder's positions: real tokens counted
            }
        }
        Qwen2VlConfig config =
                architecture.config(dev.osprey.checkpoint.HfConfig.read(f.folder.resolve("config.json")));
        // Qwen3-VL prompts a video frame group by frame group: each is an item of its own for the positions
        long[][] videos = config.qwen3() != null ? Qwen2VlStage.frames(f.videoGrids()) : f.videoGrids();
        MropePositions mrope = MropePositions.of(
                flat(f.ids),
                text,
                batch,
                steps,
                config.imageTokenId(),
                f.imageGrids(),
                config.videoTokenId(),
                videos,
                f.videoIntervals(config.vision().tokensPerSecond()),
                config.vision().mergeSize());
        JsonNode expected = f.ref.get("mrope_position_ids");
        for (int axis = 0; axis < 3; axis++) {
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < steps; t++) {
                    if (f.mask[b][t] == 1) {
                        assertEquals(
                                expected.get(axis).get(b).get(t).asLong(),
                                mrope.positions()[(axis * batch + b) * steps + t],
                                name + ": axis " + axis + " row " + b + " token " + t);
                    }
                }
            }
        }
        assertArrayEquals(longs(f.ref.get("rope_deltas")), mrope.shift(), name + ": rope_deltas");
        assertArrayEquals(f.imageRows(), mrope.imageRows());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void gradientsReachTheVisionTowerAndTheMerger(String name, QwenVlFamily architecture) throws Exception {
        QwenVlFixture f = new QwenVlFixture(name);
        long[] prompt = f.ids[0].clone(); // row 0: two images, no padding
        boolean qwen25 = architecture instanceof Qwen25VlArchitecture;
        List<String> keys = qwen3(architecture)
                ? List.of(
                        "model.visual.patch_embed.proj.weight",
                        "model.visual.patch_embed.proj.bias",
                        "model.visual.pos_embed.weight",
                        "model.visual.blocks.0.attn.qkv.weight",
                        "model.visual.blocks.1.mlp.linear_fc1.bias",
                        "model.visual.merger.norm.weight",
                        // DeepStack: reaches the loss only through what it adds to the first layers' outputs
                        "model.visual.deepstack_merger_list.0.norm.weight",
                        "model.visual.deepstack_merger_list.1.linear_fc2.weight")
                : List.of(
                        "visual.patch_embed.proj.weight",
                        "visual.blocks.0.attn.qkv.weight",
                        qwen25 ? "visual.blocks.0.mlp.gate_proj.weight" : "visual.blocks.1.mlp.fc1.bias",
                        "visual.blocks.0.norm1.weight",
                        "visual.merger.ln_q.weight",
                        "visual.merger.mlp.0.weight");
        for (String key : keys) {
            GradientCheck.check(f.folder, architecture, key, 0, 1e-3f, prompt, m -> f.media(m, r -> r == 0));
        }
    }

    @Test
    void qwen3VlMoeExpertsHaveGradientsThroughTheirStackedWeights() throws Exception {
        QwenVlFixture f = new QwenVlFixture("qwen3-vl-moe");
        long[] prompt = f.ids[0].clone();
        for (String key : List.of(
                "model.language_model.layers.1.mlp.gate.weight",
                "model.language_model.layers.1.mlp.experts.gate_up_proj",
                "model.language_model.layers.1.mlp.experts.down_proj")) {
            GradientCheck.check(
                    f.folder, new Qwen3VlMoeArchitecture(), key, 0, 1e-3f, prompt, m -> f.media(m, r -> r == 0));
        }
    }

    /**
     * The layer-by-layer pass of activation checkpointing gives transformers' logits too: each layer adds its
     * DeepStack features as the whole pass does.
     */
    @Test
    void qwen3VlLayerByLayerIsTransformers() throws IOException {
        QwenVlFixture f = new QwenVlFixture("qwen3-vl");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(f.folder, c -> new Qwen3VlArchitecture(), manager, DataType.FLOAT32)) {
            DecoderModel decoder = (DecoderModel) model.model();
            Shape shape = new Shape(f.ids.length, f.ids[0].length);
            ForwardRequest request = ForwardRequest.builder(manager.create(flat(f.ids), shape))
                    .optAttentionMask(manager.create(flat(f.mask), shape))
                    .optMedia(f.media(manager))
                    .build();
            DecoderModel.LayerPass pass = decoder.beginLayers(request);
            assertEquals(2, pass.layerAdditions().size(), "DeepStack adds to the first two layers");
            NDArray h = pass.embeddings(); // (B, T, H)
            for (int i = 0; i < decoder.layerCount(); i++) {
                h = decoder.layer(i, h, pass);
            }
            HfReference.assertLogits("layer by layer", decoder.head(h, pass), f.mask, f.ref.get("logits"));
        }
    }

    /** DeepStack moves transformers' logits (the fixture's record); without it the logits are not transformers'. */
    @Test
    void qwen3VlWithoutDeepStackIsNotTransformers() throws IOException {
        QwenVlFixture f = new QwenVlFixture("qwen3-vl");
        assertTrue(f.ref.get("max_deepstack_effect").asDouble() > 0.1, "the fixture's DeepStack has an effect");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(f.folder, c -> new Qwen3VlArchitecture(), manager, DataType.FLOAT32)) {
            for (String key : model.model().parameters().keySet()) {
                if (key.startsWith("model.visual.deepstack_merger_list.") && key.endsWith("linear_fc2.weight")
                        || key.startsWith("model.visual.deepstack_merger_list.") && key.endsWith("linear_fc2.bias")) {
                    NDArray p = model.model().parameters().get(key);
                    p.set(new NDIndex("..."), 0f);
                }
            }
            Shape shape = new Shape(f.ids.length, f.ids[0].length);
            NDArray logits = model.model()
                    .forward(ForwardRequest.builder(manager.create(flat(f.ids), shape))
                            .optAttentionMask(manager.create(flat(f.mask), shape))
                            .optMedia(f.media(manager))
                            .build())
                    .logits();
            AssertionError e = assertThrows(
                    AssertionError.class,
                    () -> HfReference.assertLogits("no DeepStack", logits, f.mask, f.ref.get("logits")));
            assertTrue(e.getMessage().contains("no DeepStack"), e.getMessage());
        }
    }

    @Test
    void aTextOnlyPassThroughTheCacheIsTheWholePass() throws IOException {
        QwenVlFixture f = new QwenVlFixture("qwen2-vl");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(f.folder, c -> new Qwen2VlArchitecture(), manager, DataType.FLOAT32)) {
            long[] prompt = {1, 17, 93, 5, 44};
            NDArray tokens = manager.create(prompt, new Shape(1, prompt.length));
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
    void qwen3VlModulesAreNamedAsMsSwiftNamesThem() throws IOException {
        QwenVlFixture f = new QwenVlFixture("qwen3-vl");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(f.folder, c -> new Qwen3VlArchitecture(), manager, DataType.FLOAT32)) {
            MultimodalKeys keys = model.model().multimodalKeys().orElseThrow();
            assertEquals(
                    "aligner",
                    keys.moduleOf("model.visual.merger.linear_fc1.weight").orElseThrow());
            assertEquals(
                    "aligner",
                    keys.moduleOf("model.visual.deepstack_merger_list.1.norm.weight")
                            .orElseThrow());
            assertEquals(
                    "vision_tower",
                    keys.moduleOf("model.visual.pos_embed.weight").orElseThrow());
            assertEquals(
                    "language_model",
                    keys.moduleOf("model.language_model.layers.0.self_attn.q_norm.weight")
                            .orElseThrow());
            for (String key : model.model().parameters().keySet()) {
                assertTrue(keys.moduleOf(key).isPresent(), key + " belongs to a module");
            }
        }
    }

    @Test
    void modulesAreNamedAsMsSwiftNamesThem() throws IOException {
        QwenVlFixture f = new QwenVlFixture("qwen2-vl");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(f.folder, c -> new Qwen2VlArchitecture(), manager, DataType.FLOAT32)) {
            MultimodalKeys keys = model.model().multimodalKeys().orElseThrow();
            assertEquals("aligner", keys.moduleOf("visual.merger.mlp.0.weight").orElseThrow());
            assertEquals(
                    "vision_tower",
                    keys.moduleOf("visual.blocks.0.attn.qkv.weight").orElseThrow());
            assertEquals(
                    "language_model",
                    keys.moduleOf("model.layers.0.self_attn.q_proj.weight").orElseThrow());
            assertEquals("language_model", keys.moduleOf("lm_head.weight").orElseThrow());
            for (String key : model.model().parameters().keySet()) {
                assertTrue(keys.moduleOf(key).isPresent(), key + " belongs to a module");
            }
        }
    }

    @Test
    void mediaThatDoNotFitThePlaceholdersAreRefusedByName() throws IOException {
        QwenVlFixture f = new QwenVlFixture("qwen2-vl");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(f.folder, c -> new Qwen2VlArchitecture(), manager, DataType.FLOAT32)) {
            Shape shape = new Shape(2, f.ids[0].length);
            // row 0's two images only: the third image's grid is missing
            ForwardRequest request = ForwardRequest.builder(manager.create(flat(f.ids), shape))
                    .optAttentionMask(manager.create(flat(f.mask), shape))
                    .optMedia(f.media(manager, r -> r == 0))
                    .build();
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> model.model().forward(request));
            assertTrue(e.getMessage().contains("image_grid_thw"), e.getMessage());

            ForwardRequest misplaced = ForwardRequest.builder(manager.create(flat(f.ids), shape))
                    .optAttentionMask(manager.create(flat(f.mask), shape))
                    .optMedia(new MediaTensors(
                            f.media(manager).tensors(), Map.of(MediaTensors.IMAGE, new int[] {0, 1, 1})))
                    .build();
            e = assertThrows(IllegalArgumentException.class, () -> model.model().forward(misplaced));
            assertTrue(e.getMessage().contains("rows [0, 1, 1]"), e.getMessage());
        }
    }
}
