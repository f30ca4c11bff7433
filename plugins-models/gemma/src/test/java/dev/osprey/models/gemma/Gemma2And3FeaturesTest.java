package dev.osprey.models.gemma;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.reference.HfReference;

/**
 * Each Gemma 2 / Gemma 3 feature changes what the reference fixtures compute: with it switched off in
 * config.json, the same weights no longer reproduce transformers. The config readers take both spellings
 * found on the Hub and name the field at fault.
 */
class Gemma2And3FeaturesTest {

    @SuppressWarnings("unchecked")
    static Stream<Arguments> switchedOff() {
        Consumer<Map<String, Object>> localTheta =
                c -> ((Map<String, Object>) ((Map<String, Object>) c.get("rope_parameters")).get("sliding_attention"))
                        .put("rope_theta", 1_000_000.0);
        Consumer<Map<String, Object>> unscaledGlobal =
                c -> ((Map<String, Object>) ((Map<String, Object>) c.get("rope_parameters")).get("full_attention"))
                        .put("rope_type", "default");
        return Stream.of(
                arguments("gemma2", "no attention soft cap", set("attn_logit_softcapping", null)),
                arguments("gemma2", "no final soft cap", set("final_logit_softcapping", null)),
                arguments("gemma2", "no sliding window", set("sliding_window", null)),
                arguments(
                        "gemma2",
                        "the window on every layer",
                        set("layer_types", List.of(GemmaFields.SLIDING, GemmaFields.SLIDING))),
                arguments("gemma2", "scaled by head_dim", set("query_pre_attn_scalar", 8)),
                arguments("gemma3-text", "no sliding window", set("sliding_window", null)),
                arguments("gemma3-text", "the local base on the global layers too", localTheta),
                arguments("gemma3-text", "global layers unscaled", unscaledGlobal));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("switchedOff")
    void theFeatureMatters(String fixture, String change, Consumer<Map<String, Object>> edit) throws Exception {
        Path original = HfReference.fixture(getClass(), fixture);
        Path changed = Files.createTempDirectory("gemma-changed");
        try {
            for (String f : new String[] {"model.safetensors", "generation_config.json", "reference.json"}) {
                Files.copy(original.resolve(f), changed.resolve(f));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> config =
                    new ObjectMapper().readValue(original.resolve("config.json").toFile(), Map.class);
            edit.accept(config);
            new ObjectMapper().writeValue(changed.resolve("config.json").toFile(), config);
            ModelArchitecture architecture =
                    fixture.equals("gemma2") ? new Gemma2Architecture() : new Gemma3TextArchitecture();
            assertThrows(AssertionError.class, () -> HfReference.check(changed, architecture), change);
        } finally {
            try (var files = Files.walk(changed)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * Gradient checkpointing runs the layers one by one ({@code DecoderModel.layer}, {@code head}): the
     * per-layer rope and the final soft cap apply there as in a whole pass.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void layerByLayerEqualsTheWholePass(String fixture, ModelArchitecture architecture) throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(
                        HfReference.fixture(getClass(), fixture), c -> architecture, m, DataType.FLOAT32)) {
            DecoderModel decoder = (DecoderModel) model.model();
            NDArray ids = m.create(new long[] {1, 17, 93, 5, 44, 120, 8, 61}, new Shape(1, 8)); // (1, T)
            ForwardRequest request = ForwardRequest.builder(ids).build();
            NDArray whole = decoder.forward(request).logits(); // (1, T, V)
            DecoderModel.LayerPass pass = decoder.beginLayers(request);
            NDArray h = pass.embeddings(); // (1, T, H)
            for (int i = 0; i < decoder.layerCount(); i++) {
                h = decoder.layer(i, h, pass);
            }
            NDArray layered = decoder.head(h, pass); // (1, T, V)
            assertTrue(whole.allClose(layered, 1e-5, 1e-5, false), fixture);
        }
    }

    static Stream<Arguments> fixtures() {
        return Stream.of(
                arguments("gemma2", new Gemma2Architecture()), arguments("gemma3-text", new Gemma3TextArchitecture()));
    }

    @Test
    void gemma2DefaultsAreTheHubs() {
        Gemma2Architecture.Gemma2Config gemma2 = Gemma2Architecture.Gemma2Config.from(config(Map.of()));
        assertEquals(50.0, gemma2.attentionSoftcap());
        assertEquals(30.0, gemma2.finalSoftcap());
        assertEquals(4096, gemma2.slidingWindow());
        assertEquals(1 / 16.0, gemma2.attentionScale(), 1e-12);
        assertArrayEquals(new boolean[] {true, false, true, false}, gemma2.sliding());
        assertTrue(gemma2.common().tieWordEmbeddings());
    }

    @Test
    void gemma3ReadsTheHubsOlderFields() {
        // google/gemma-3-1b-it as the Hub has it: a pattern rather than layer_types, rope_local_base_freq
        Map<String, Object> hub = new HashMap<>();
        hub.put("sliding_window_pattern", 3);
        hub.put("rope_local_base_freq", 10_000.0);
        hub.put("rope_theta", 1_000_000.0);
        hub.put("rope_scaling", Map.of("rope_type", "linear", "factor", 8.0));
        hub.put("final_logit_softcapping", null);
        hub.put("attn_logit_softcapping", null);
        Gemma3TextArchitecture.Gemma3TextConfig gemma3 = Gemma3TextArchitecture.Gemma3TextConfig.from(config(hub));
        assertArrayEquals(new boolean[] {true, true, false, true}, gemma3.sliding());
        assertEquals(0.0, gemma3.attentionSoftcap());
        assertEquals(0.0, new Gemma3TextArchitecture().finalLogitSoftcap(config(hub)));
        float[] frequencies = gemma3.rope().inverseFrequencies(0); // global (linear / 8), then local
        assertEquals(1 / 8.0, frequencies[0], 1e-7);
        assertEquals(Math.pow(1_000_000.0, -2.0 / 8) / 8, frequencies[1], 1e-7);
        assertEquals(Math.pow(10_000.0, -2.0 / 8), frequencies[5], 1e-7);
    }

    @Test
    void badFieldsAreNamed() {
        IllegalArgumentException types = assertThrows(
                IllegalArgumentException.class,
                () -> Gemma2Architecture.Gemma2Config.from(config(Map.of("layer_types", List.of("full_attention")))));
        assertTrue(types.getMessage().contains("layer_types"), types.getMessage());
        IllegalArgumentException rope = assertThrows(
                IllegalArgumentException.class,
                () -> Gemma3TextArchitecture.Gemma3TextConfig.from(
                        config(Map.of("rope_scaling", Map.of("rope_type", "yarn", "factor", 4.0)))));
        assertTrue(rope.getMessage().contains("rope_scaling.rope_type"), rope.getMessage());
        IllegalArgumentException cap = assertThrows(
                IllegalArgumentException.class,
                () -> Gemma2Architecture.Gemma2Config.from(config(Map.of("attn_logit_softcapping", -1.0))));
        assertTrue(cap.getMessage().contains("attn_logit_softcapping"), cap.getMessage());
        assertFalse(cap.getMessage().isEmpty());
    }

    /** A 4-layer tiny config with {@code fields} over it. */
    private static HfConfig config(Map<String, Object> fields) {
        Map<String, Object> c = new HashMap<>();
        c.put("vocab_size", 64);
        c.put("hidden_size", 16);
        c.put("intermediate_size", 32);
        c.put("num_hidden_layers", 4);
        c.put("num_attention_heads", 2);
        c.put("num_key_value_heads", 1);
        c.put("head_dim", 8);
        c.putAll(fields);
        return HfConfig.of(c, Path.of("config.json"));
    }

    private static Consumer<Map<String, Object>> set(String field, Object value) {
        return c -> c.put(field, value);
    }
}
