package dev.osprey.models.qwenvl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.checkpoint.Safetensors;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.reference.HfReference;

/** Config reading (the Hub's layout and transformers 5's) and checkpoint key names of Qwen2-VL. */
class Qwen2VlArchitectureTest {

    /** Qwen2-VL-2B-Instruct's config.json as the Hub has it (text fields at the top, rope_scaling), shrunk. */
    static Map<String, Object> hubConfig() {
        Map<String, Object> c = new HashMap<>();
        c.put("architectures", List.of("Qwen2VLForConditionalGeneration"));
        c.put("model_type", "qwen2_vl");
        c.put("vocab_size", 160);
        c.put("hidden_size", 32);
        c.put("intermediate_size", 64);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 2);
        c.put("max_position_embeddings", 32768);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 1000000.0);
        c.put("rope_scaling", Map.of("type", "mrope", "mrope_section", List.of(1, 1, 2)));
        c.put("tie_word_embeddings", true);
        c.put("hidden_act", "silu");
        c.put("image_token_id", 151);
        c.put("video_token_id", 152);
        c.put("vision_start_token_id", 150);
        c.put(
                "vision_config",
                Map.of(
                        "depth", 1,
                        "embed_dim", 16,
                        "mlp_ratio", 4,
                        "num_heads", 2,
                        "in_chans", 3,
                        "hidden_size", 32,
                        "patch_size", 14,
                        "spatial_merge_size", 2,
                        "spatial_patch_size", 14,
                        "temporal_patch_size", 2));
        return c;
    }

    @Test
    void theHubsConfigBuildsTheModelUnderItsCheckpointNames() {
        HfConfig config = HfConfig.of(hubConfig(), Path.of("config.json"));
        Qwen2VlConfig c = Qwen2VlConfig.from(config);
        assertArrayEquals(new int[] {1, 1, 2}, c.mropeSection());
        assertEquals(64, c.vision().mlpDim());
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new Qwen2VlArchitecture().build(config, m)) {
            Map<String, NDArray> params = model.parameters();
            assertEquals(
                    new Shape(16, 3, 2, 14, 14),
                    params.get("visual.patch_embed.proj.weight").getShape());
            assertEquals(
                    new Shape(64, 64), params.get("visual.merger.mlp.0.weight").getShape());
            assertTrue(params.containsKey("model.layers.1.self_attn.q_proj.bias"));
            assertFalse(params.containsKey("lm_head.weight"), "tied to model.embed_tokens.weight");
            // one 4x4-patch image: 4 placeholder tokens
            long[] ids = {1, 150, 151, 151, 151, 151, 153, 9};
            NDArray logits = model.forward(ForwardRequest.builder(m.create(ids, new Shape(1, ids.length)))
                            .optMedia(MediaTensors.of(Map.of(
                                    MediaTensors.PIXEL_VALUES,
                                    m.randomNormal(new Shape(16, 3 * 2 * 14 * 14)),
                                    MediaTensors.IMAGE_GRID_THW,
                                    m.create(new long[] {1, 4, 4}, new Shape(1, 3)))))
                            .build())
                    .logits();
            assertEquals(new Shape(1, ids.length, 160), logits.getShape());
        }
    }

    /** Qwen2.5-VL-7B-Instruct's config.json as the Hub has it, shrunk: a vision width of its own, windows. */
    @Test
    void qwen25sHubConfigBuildsWindowsRmsNormsAndAGatedMlp() {
        Map<String, Object> c = hubConfig();
        c.put("architectures", List.of("Qwen2_5_VLForConditionalGeneration"));
        c.put("model_type", "qwen2_5_vl");
        c.put(
                "vision_config",
                Map.ofEntries(
                        Map.entry("depth", 2),
                        Map.entry("hidden_act", "silu"),
                        Map.entry("hidden_size", 16),
                        Map.entry("intermediate_size", 24),
                        Map.entry("num_heads", 2),
                        Map.entry("in_chans", 3),
                        Map.entry("out_hidden_size", 32),
                        Map.entry("patch_size", 14),
                        Map.entry("spatial_merge_size", 2),
                        Map.entry("spatial_patch_size", 14),
                        Map.entry("window_size", 112),
                        Map.entry("fullatt_block_indexes", List.of(1)),
                        Map.entry("tokens_per_second", 2),
                        Map.entry("temporal_patch_size", 2)));
        HfConfig config = HfConfig.of(c, Path.of("config.json"));
        Qwen2VlConfig q = Qwen2VlConfig.qwen25(config);
        assertEquals(java.util.Set.of(1), q.vision().fullAttentionBlocks());
        assertEquals(2, q.vision().tokensPerSecond());
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new Qwen25VlArchitecture().build(config, m)) {
            Map<String, NDArray> params = model.parameters();
            assertEquals(
                    new Shape(24, 16),
                    params.get("visual.blocks.0.mlp.gate_proj.weight").getShape());
            assertTrue(params.containsKey("visual.blocks.0.mlp.down_proj.bias"));
            assertFalse(params.containsKey("visual.blocks.0.norm1.bias"), "RMSNorm has no bias");
            assertFalse(params.containsKey("visual.merger.ln_q.bias"));
            assertEquals(
                    new Shape(32, 64), params.get("visual.merger.mlp.2.weight").getShape());
        }
        c.put(
                "vision_config",
                Map.of(
                        "depth",
                        1,
                        "hidden_size",
                        16,
                        "num_heads",
                        2,
                        "intermediate_size",
                        8,
                        "out_hidden_size",
                        32,
                        "window_size",
                        100));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> Qwen2VlConfig.qwen25(HfConfig.of(c, Path.of("config.json"))));
        assertTrue(e.getMessage().contains("vision_config.window_size"), e.getMessage());
    }

    @Test
    void configErrorsNameTheirFields() {
        Map<String, Object> c = hubConfig();
        c.put("rope_scaling", Map.of("type", "mrope", "mrope_section", List.of(1, 1, 1)));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> Qwen2VlConfig.from(HfConfig.of(c, Path.of("config.json"))));
        assertTrue(e.getMessage().contains("mrope_section"), e.getMessage());
        c.remove("rope_scaling");
        e = assertThrows(
                IllegalArgumentException.class, () -> Qwen2VlConfig.from(HfConfig.of(c, Path.of("config.json"))));
        assertTrue(e.getMessage().contains("mrope_section"), e.getMessage());
        Map<String, Object> vision = new HashMap<>(hubConfig());
        vision.put("vision_config", Map.of("depth", 1, "embed_dim", 16, "num_heads", 2, "hidden_size", 24));
        e = assertThrows(
                IllegalArgumentException.class, () -> Qwen2VlConfig.from(HfConfig.of(vision, Path.of("config.json"))));
        assertTrue(e.getMessage().contains("vision_config.hidden_size"), e.getMessage());
    }

    @Test
    void aTextModelRefusesMediaNamingItsType() {
        Map<String, Object> c = hubConfig();
        c.put("model_type", "qwen2");
        c.put("architectures", List.of("Qwen2ForCausalLM"));
        HfConfig config = HfConfig.of(c, Path.of("config.json"));
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel text = new dev.osprey.model.spi.DecoderFamily() {
                    @Override
                    public dev.osprey.model.spi.DecoderLayout layout(dev.osprey.api.model.ModelConfig config) {
                        return new Qwen2VlArchitecture().layout(config);
                    }

                    @Override
                    public String name() {
                        return "qwen2";
                    }

                    @Override
                    public java.util.Set<String> architectures() {
                        return java.util.Set.of("Qwen2ForCausalLM");
                    }
                }.build(config, m)) {
            ForwardRequest request = ForwardRequest.builder(m.create(new long[] {1, 151}, new Shape(1, 2)))
                    .optMedia(MediaTensors.of(Map.of(MediaTensors.PIXEL_VALUES, m.zeros(new Shape(4, 1176)))))
                    .build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> text.forward(request));
            assertTrue(e.getMessage().contains("qwen2 takes text only"), e.getMessage());
        }
    }

    /**
     * A checkpoint under the names transformers 5 gives the modules in memory ({@code model.visual.*},
     * {@code model.language_model.*}) loads into the same parameters as the Hub's layout.
     */
    @Test
    void transformers5sInMemoryNamesLoadToo(@TempDir Path dir) throws IOException {
        Path folder = HfReference.fixture(getClass(), "qwen2-vl");
        Files.copy(folder.resolve("config.json"), dir.resolve("config.json"));
        try (NDManager m = NDManager.newBaseManager()) {
            WeightFiles hub = WeightFiles.open(folder);
            Map<String, NDArray> renamed = new LinkedHashMap<>();
            for (String key : hub.names()) {
                String v5 = key.startsWith("visual.")
                        ? "model." + key
                        : key.startsWith("model.") ? "model.language_model." + key.substring(6) : key;
                renamed.put(v5, hub.load(m, key, DataType.FLOAT32));
            }
            assertTrue(renamed.containsKey("model.language_model.layers.0.self_attn.q_proj.weight"));
            Safetensors.write(dir.resolve("model.safetensors"), renamed, Map.of("format", "pt"), "F32");
            try (HfModel original = ModelLoader.load(folder, x -> new Qwen2VlArchitecture(), m, DataType.FLOAT32);
                    HfModel v5 = ModelLoader.load(dir, x -> new Qwen2VlArchitecture(), m, DataType.FLOAT32)) {
                assertEquals(List.of(), v5.unusedWeights());
                for (var p : original.model().parameters().entrySet()) {
                    assertArrayEquals(
                            p.getValue().toFloatArray(),
                            v5.model().parameters().get(p.getKey()).toFloatArray(),
                            p.getKey());
                }
            }
        }
    }

    /**
     * Qwen3-VL-8B-Instruct's config.json as the Hub has it (text fields under text_config with rope_scaling's
     * interleaved mrope_section, head_dim apart from hidden_size / heads; 16-pixel patches, 2304 learned positions,
     * DeepStack after blocks 8, 16 and 24), shrunk in width and depth.
     */
    static Map<String, Object> qwen3HubConfig() {
        Map<String, Object> text = new HashMap<>();
        text.put("vocab_size", 160);
        text.put("hidden_size", 32);
        text.put("intermediate_size", 64);
        text.put("num_hidden_layers", 3);
        text.put("num_attention_heads", 4);
        text.put("num_key_value_heads", 2);
        text.put("head_dim", 16);
        text.put("max_position_embeddings", 262144);
        text.put("rms_norm_eps", 1e-6);
        text.put("rope_theta", 5000000);
        text.put(
                "rope_scaling",
                Map.of("mrope_interleaved", true, "mrope_section", List.of(2, 3, 3), "rope_type", "default"));
        text.put("hidden_act", "silu");
        text.put("attention_bias", false);
        text.put("tie_word_embeddings", false);
        Map<String, Object> c = new HashMap<>();
        c.put("architectures", List.of("Qwen3VLForConditionalGeneration"));
        c.put("model_type", "qwen3_vl");
        c.put("image_token_id", 151);
        c.put("video_token_id", 152);
        c.put("vision_start_token_id", 150);
        c.put("vision_end_token_id", 153);
        c.put("tie_word_embeddings", false);
        c.put("text_config", text);
        c.put(
                "vision_config",
                Map.ofEntries(
                        Map.entry("deepstack_visual_indexes", List.of(8, 16, 24)),
                        Map.entry("depth", 27),
                        Map.entry("hidden_act", "gelu_pytorch_tanh"),
                        Map.entry("hidden_size", 16),
                        Map.entry("in_channels", 3),
                        Map.entry("intermediate_size", 24),
                        Map.entry("num_heads", 2),
                        Map.entry("num_position_embeddings", 2304),
                        Map.entry("out_hidden_size", 32),
                        Map.entry("patch_size", 16),
                        Map.entry("spatial_merge_size", 2),
                        Map.entry("temporal_patch_size", 2)));
        return c;
    }

    @Test
    void qwen3VlsHubConfigBuildsDeepStackLearnedPositionsAndQkNorms() {
        HfConfig config = HfConfig.of(qwen3HubConfig(), Path.of("config.json"));
        Qwen2VlConfig c = Qwen2VlConfig.qwen3(config, false);
        assertEquals(16, c.text().headDim());
        assertEquals(List.of(8, 16, 24), c.vision().deepstackLayers());
        assertEquals(2304, c.vision().positionEmbeddings());
        assertEquals(16, c.vision().patchSize());
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new Qwen3VlArchitecture().build(config, m)) {
            Map<String, NDArray> params = model.parameters();
            assertEquals(
                    new Shape(2304, 16),
                    params.get("model.visual.pos_embed.weight").getShape());
            assertEquals(
                    new Shape(64),
                    params.get("model.visual.deepstack_merger_list.2.norm.weight")
                            .getShape());
            assertEquals(
                    new Shape(16),
                    params.get("model.language_model.layers.2.self_attn.k_norm.weight")
                            .getShape());
            assertEquals(
                    new Shape(64, 32),
                    params.get("model.language_model.layers.0.self_attn.q_proj.weight")
                            .getShape());
            assertFalse(params.containsKey("model.language_model.layers.0.self_attn.q_proj.bias"));
            // one 64 x 64-pixel image: 4 x 4 patches, 4 placeholder tokens, DeepStack into layers 0 to 2
            long[] ids = {1, 150, 151, 151, 151, 151, 153, 9};
            NDArray logits = model.forward(ForwardRequest.builder(m.create(ids, new Shape(1, ids.length)))
                            .optMedia(MediaTensors.of(Map.of(
                                    MediaTensors.PIXEL_VALUES,
                                    m.randomNormal(new Shape(16, 3 * 2 * 16 * 16)),
                                    MediaTensors.IMAGE_GRID_THW,
                                    m.create(new long[] {1, 4, 4}, new Shape(1, 3)))))
                            .build())
                    .logits();
            assertEquals(new Shape(1, ids.length, 160), logits.getShape());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void qwen3VlConfigErrorsNameTheField() {
        Map<String, Object> c = qwen3HubConfig();
        Map<String, Object> vision = new HashMap<>((Map<String, Object>) c.get("vision_config"));
        vision.put("num_position_embeddings", 2300);
        c.put("vision_config", vision);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Qwen2VlConfig.qwen3(HfConfig.of(c, Path.of("config.json")), false));
        assertTrue(e.getMessage().contains("num_position_embeddings (2300) must be a square"), e.getMessage());

        vision.put("num_position_embeddings", 2304);
        vision.put("deepstack_visual_indexes", List.of(8, 27));
        e = assertThrows(
                IllegalArgumentException.class,
                () -> Qwen2VlConfig.qwen3(HfConfig.of(c, Path.of("config.json")), false));
        assertTrue(e.getMessage().contains("deepstack_visual_indexes [8, 27] must name vision blocks"), e.getMessage());

        // Qwen3-VL-MoE's experts are required
        RuntimeException moe = assertThrows(
                RuntimeException.class,
                () -> Qwen2VlConfig.qwen3(HfConfig.of(qwen3HubConfig(), Path.of("config.json")), true));
        assertTrue(moe.getMessage().contains("text_config.num_experts"), moe.getMessage());
    }
}
