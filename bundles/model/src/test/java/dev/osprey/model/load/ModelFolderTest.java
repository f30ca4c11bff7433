package dev.osprey.model.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.decoder.CommonConfig;
import dev.osprey.model.decoder.DecoderArchitecture;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.decoder.DecoderSpec;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.LoraWeights;

/** Hugging Face folders and PEFT adapters, written and read back with real files and real arrays. */
class ModelFolderTest {

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    /** A Llama-like architecture for these tests; the real ones live in plugins-models. */
    static final ModelArchitecture LLAMA = new DecoderArchitecture() {
        @Override
        public String name() {
            return "llama";
        }

        @Override
        public Set<String> architectures() {
            return Set.of("LlamaForCausalLM");
        }

        @Override
        protected DecoderSpec spec(ModelConfig config) {
            return CommonConfig.read(config, false, "silu").spec(false, false, false, false, 0f, 1, 0);
        }
    };

    static Map<String, Object> config() {
        Map<String, Object> c = new HashMap<>();
        c.put("model_type", "llama");
        c.put("architectures", List.of("LlamaForCausalLM"));
        c.put("vocab_size", 40);
        c.put("hidden_size", 16);
        c.put("intermediate_size", 32);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 2);
        c.put("num_key_value_heads", 1);
        c.put("initializer_range", 0.3);
        return c;
    }

    private DecoderModel fresh() {
        return (DecoderModel) LLAMA.build(HfConfig.of(config(), dir.resolve("config.json")), manager);
    }

    private float[] logits(LanguageModel model, String adapter) {
        NDArray ids = manager.create(new long[] {1, 7, 3, 30, 2}, new Shape(1, 5));
        return model.forward(ForwardRequest.builder(ids).optAdapter(adapter).build())
                .logits()
                .toFloatArray();
    }

    private HfModel load(Path folder, DataType type) throws Exception {
        return ModelLoader.load(folder, c -> LLAMA, manager, type);
    }

    @Test
    void saveThenLoadIsExact() throws Exception {
        DecoderModel original = fresh();
        ModelSaver.save(original, dir.resolve("m"), "F32", Map.of());
        try (HfModel loaded = load(dir.resolve("m"), DataType.FLOAT32)) {
            assertArrayEquals(logits(original, null), logits(loaded.model(), null), 0f);
            assertEquals("llama", loaded.config().modelType());
            assertTrue(loaded.unusedWeights().isEmpty());
            assertTrue(loaded.optTokenizer().isEmpty());
        }
    }

    @Test
    void bf16CheckpointsLoadAsTheRoundedValuesWithoutEverMakingABf16Array() throws Exception {
        DecoderModel original = fresh();
        ModelSaver.save(original, dir.resolve("bf16"), "BF16", Map.of());
        try (HfModel loaded = load(dir.resolve("bf16"), DataType.FLOAT32)) {
            NDArray a = original.parameters().get("model.layers.0.mlp.up_proj.weight");
            NDArray b = loaded.model().parameters().get("model.layers.0.mlp.up_proj.weight");
            float[] x = a.toFloatArray();
            float[] y = b.toFloatArray();
            for (int i = 0; i < x.length; i++) {
                int bits = Float.floatToIntBits(x[i]);
                int rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000; // round to nearest even
                assertEquals(Float.intBitsToFloat(rounded), y[i], 0f);
            }
            assertArrayEquals(logits(original, null), logits(loaded.model(), null), 0.05f);
        }
        try (HfModel half = load(dir.resolve("bf16"), DataType.FLOAT16)) {
            assertEquals(
                    DataType.FLOAT16,
                    half.model().parameters().get("model.norm.weight").getDataType());
            assertArrayEquals(logits(original, null), logits(half.model(), null), 0.1f);
        }
    }

    @Test
    void aCheckpointThatDisagreesWithItsConfigIsNamed() throws Exception {
        ModelSaver.save(fresh(), dir.resolve("m"), "F32", Map.of());
        Path config = dir.resolve("m/config.json");
        Files.writeString(
                config, Files.readString(config).replace("\"num_hidden_layers\" : 2", "\"num_hidden_layers\" : 3"));
        IllegalArgumentException missing =
                assertThrows(IllegalArgumentException.class, () -> load(dir.resolve("m"), DataType.FLOAT32));
        assertTrue(missing.getMessage().contains("model.layers.2.self_attn.q_proj.weight"), missing.getMessage());
        Files.writeString(
                config,
                Files.readString(config)
                        .replace("\"num_hidden_layers\" : 3", "\"num_hidden_layers\" : 2")
                        .replace("\"intermediate_size\" : 32", "\"intermediate_size\" : 24"));
        IllegalArgumentException shape =
                assertThrows(IllegalArgumentException.class, () -> load(dir.resolve("m"), DataType.FLOAT32));
        assertTrue(
                shape.getMessage().contains("model.layers.0.mlp.gate_proj.weight")
                        && shape.getMessage().contains("model.safetensors"),
                shape.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> load(dir, DataType.FLOAT32))
                .getMessage()
                .contains("config.json"));
    }

    @Test
    void aQuantizationOspreyCannotReadIsNamedWithTheOnesItCan() throws Exception {
        ModelSaver.save(fresh(), dir.resolve("q"), "F32", Map.of());
        Path config = dir.resolve("q/config.json");
        Files.writeString(
                config,
                Files.readString(config)
                        .replaceFirst(
                                "\\{",
                                "{ \"quantization_config\" : { \"quant_method\" : \"bitsandbytes\", \"load_in_4bit\" : true },"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> load(dir.resolve("q"), DataType.FLOAT32));
        assertTrue(
                e.getMessage().contains("config.json")
                        && e.getMessage().contains("'bitsandbytes'")
                        && e.getMessage().contains("supported: awq, fbgemm_fp8, fp8, gptq"),
                e.getMessage());
    }

    @Test
    void aPeftAdapterSavedAndLoadedBackGivesTheSameOutputsAndMergesExactly() throws Exception {
        DecoderModel model = fresh();
        float[] base = logits(model, null);
        java.util.Random r = new java.util.Random(3);
        for (Linear l : model.linears()) {
            if (l.name().endsWith("q_proj") || l.name().endsWith("v_proj")) {
                float[] a = new float[4 * (int) l.inFeatures()];
                float[] b = new float[(int) l.outFeatures() * 4];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) r.nextGaussian() * 0.5f;
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) r.nextGaussian() * 0.5f;
                }
                l.attach(
                        "mine",
                        new LoraWeights(
                                manager.create(a, new Shape(4, l.inFeatures())),
                                manager.create(b, new Shape(l.outFeatures(), 4)),
                                LoraWeights.scaling(16, 4, true)));
            }
        }
        float[] adapted = logits(model, "mine");
        PeftAdapter.save(dir.resolve("adapter"), model.linears(), "mine", 4, 16, true, "tiny-llama");
        String config = Files.readString(dir.resolve("adapter/adapter_config.json"), StandardCharsets.UTF_8);
        assertTrue(config.contains("\"use_rslora\" : true") && config.contains("\"q_proj\""), config);

        DecoderModel other = fresh(); // same seed: the same base weights
        List<String> attached = PeftAdapter.attach(dir.resolve("adapter"), other.linears(), "loaded", manager);
        assertEquals(4, attached.size());
        assertArrayEquals(adapted, logits(other, "loaded"), 0f);
        assertArrayEquals(base, logits(other, null), 0f);
        for (Linear l : other.linears()) {
            if (l.adapter("loaded") != null) {
                l.merge("loaded");
            }
        }
        assertArrayEquals(adapted, logits(other, null), 2e-4f);
    }

    @Test
    void anAdapterForAnotherModelIsRefusedByName() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(
                folder.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": 4}");
        dev.osprey.checkpoint.Safetensors.write(
                folder.resolve("adapter_model.safetensors"),
                Map.of(
                        "base_model.model.model.layers.9.self_attn.q_proj.lora_A.weight",
                        manager.zeros(new Shape(2, 16)),
                        "base_model.model.model.layers.9.self_attn.q_proj.lora_B.weight",
                        manager.zeros(new Shape(16, 2))),
                Map.of(),
                "F32");
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> PeftAdapter.attach(folder, fresh().linears(), "x", manager));
        assertTrue(e.getMessage().contains("model.layers.9.self_attn.q_proj"), e.getMessage());
    }

    @Test
    void causalLmLossMatchesItsDefinition() {
        float[] raw = {1, 2, 0.5f, 0, 3, 1, 2, 2, 2};
        NDArray logits = manager.create(raw, new Shape(1, 3, 3)); // (B=1, T=3, V=3)
        NDArray labels = manager.create(new long[] {-100, 2, 0}, new Shape(1, 3));
        // position 0 predicts label 2, position 1 predicts label 0
        double l0 = -(0.5 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(0.5)));
        double l1 = -(0 - Math.log(Math.exp(0) + Math.exp(3) + Math.exp(1)));
        assertEquals((l0 + l1) / 2, Losses.causalLm(logits, labels).getFloat(), 1e-5);
        NDArray ignoreOne = manager.create(new long[] {5, -100, 0}, new Shape(1, 3));
        assertEquals(l1, Losses.causalLm(logits, ignoreOne).getFloat(), 1e-5);
    }

    @Test
    void aTokenizerInTheFolderIsLoaded() throws Exception {
        String tokenizer =
                "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],\"normalizer\":null,"
                        + "\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                        + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{\"<unk>\":0,\"hello\":1,\"world\":2},\"unk_token\":\"<unk>\"}}";
        ModelSaver.save(
                fresh(),
                dir.resolve("t"),
                "F32",
                Map.of(
                        "tokenizer.json",
                        tokenizer.getBytes(StandardCharsets.UTF_8),
                        "generation_config.json",
                        "{\"eos_token_id\": [2, 0]}".getBytes(StandardCharsets.UTF_8)));
        try (HfModel loaded = load(dir.resolve("t"), DataType.FLOAT32)) {
            assertArrayEquals(
                    new long[] {1, 2}, loaded.tokenizer().encode("hello world").getIds());
            assertEquals(List.of(2, 0), loaded.generationConfig().eosTokenIds());
        }
    }
}
