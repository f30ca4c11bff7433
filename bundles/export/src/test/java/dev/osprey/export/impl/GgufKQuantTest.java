package dev.osprey.export.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.export.impl.GgufModel.HfTensor;

/**
 * The k-quant mixes ({@code q4_k_m}, {@code q5_k_m}, {@code q6_k}) on a Llama with rows of 256 and 288 values, so
 * both the 256-weight k-quants and their 32-weight fallbacks are written. tools/gguf-kquant-reference.py made the
 * same checkpoint from the same formula, ran llama.cpp's {@code llama-quantize} on its F32 GGUF and compared: every
 * tensor of Osprey's files had llama-quantize's type and bytes. The golden file records that, with the SHA-256 of
 * Osprey's files, which this test pins; it also decodes the blocks with the test's own reader.
 */
class GgufKQuantTest {

    static final Map<String, Object> CONFIG = Map.ofEntries(
            Map.entry("model_type", "llama"),
            Map.entry("hidden_size", 256),
            Map.entry("intermediate_size", 288),
            Map.entry("num_hidden_layers", 2),
            Map.entry("num_attention_heads", 4),
            Map.entry("num_key_value_heads", 1),
            Map.entry("vocab_size", 128),
            Map.entry("max_position_embeddings", 64),
            Map.entry("rms_norm_eps", 1e-6),
            Map.entry("rope_theta", 10000.0),
            Map.entry("hidden_act", "silu"),
            Map.entry("tie_word_embeddings", false));

    @TempDir
    Path tmp;

    @Test
    void mixesAreTheBytesLlamaQuantizeWrites() throws Exception {
        JsonNode golden = new ObjectMapper()
                .readTree(GgufExporterTest.TOKENIZER
                        .resolve("llamacpp-kquant.json")
                        .toFile());
        for (String type : List.of("q4_k_m", "q5_k_m", "q6_k")) {
            JsonNode run = golden.path(type);
            assertEquals(run.path("of").asInt(), run.path("identical").asInt(), type + ": llama-quantize's bytes");
            Path file = export(GgufFileType.parse(type));
            assertEquals(
                    run.path("sha256").asText(),
                    GgufExporterTest.sha256(file),
                    type + ": the export changed; rerun tools/gguf-llamacpp-reference.sh");
        }
    }

    @Test
    void q4KMChoosesLlamaCppsTypesAndDecodesCloseToTheWeights() throws Exception {
        Map<String, HfTensor> hf = checkpoint();
        GgufReader gguf = new GgufReader(export(GgufFileType.Q4_K_M));
        assertEquals(15, gguf.metadata.get("general.file_type"));
        Map<String, Integer> types = new LinkedHashMap<>();
        gguf.tensors.values().forEach(t -> types.put(t.name(), t.type()));
        assertEquals(12, types.get("token_embd.weight"), "an untied embedding is Q4_K");
        assertEquals(14, types.get("output.weight"), "the head is Q6_K");
        assertEquals(12, types.get("blk.0.attn_v.weight"));
        assertEquals(14, types.get("blk.1.attn_v.weight"), "the last eighth of the layers gets Q6_K");
        assertEquals(6, types.get("blk.0.ffn_down.weight"), "rows of 288: Q4_K falls back to Q5_0");
        assertEquals(8, types.get("blk.1.ffn_down.weight"), "rows of 288: Q6_K falls back to Q8_0");
        assertEquals(12, types.get("blk.1.ffn_up.weight"));
        assertEquals(0, types.get("blk.1.ffn_norm.weight"));
        GgufExporterTest.assertDataLaidOut(gguf);

        // relative error of each decoded matrix: 4-bit codes about 5.5% on these uniform weights, Q6_K 1.3%
        Map<Integer, Double> bound = Map.of(12, 0.06, 14, 0.015, 6, 0.035, 8, 0.005);
        GgufModel model = new GgufModel(HfConfig.of(CONFIG, tmp.resolve("config.json")));
        for (Map.Entry<String, HfTensor> e : hf.entrySet()) {
            String name = model.ggufName(e.getKey());
            int type = types.get(name);
            if (type == 0) {
                continue;
            }
            float[] w = e.getValue().values();
            if (name.matches("blk\\.\\d+\\.attn_[qk]\\.weight")) {
                w = GgufModel.permute(w, e.getValue().shape()[0], name.contains("attn_q") ? 4 : 1);
            }
            double error = FloatArrays.relativeError(gguf.values(name), w);
            assertTrue(error < bound.get(type), name + " (type " + type + "): " + error);
            assertTrue(error > bound.get(type) / 20, name + ": quantized at all? " + error);
        }
    }

    @Test
    void q5KMAndQ6KDecodeWithinTheirSteps() throws Exception {
        Map<String, HfTensor> hf = checkpoint();
        for (GgufFileType type : List.of(GgufFileType.Q5_K_M, GgufFileType.Q6_K)) {
            GgufReader gguf = new GgufReader(export(type));
            GgufReader.Info up = gguf.tensors.get("blk.0.ffn_up.weight");
            GgufReader.Info down = gguf.tensors.get("blk.0.ffn_down.weight");
            assertEquals(type == GgufFileType.Q5_K_M ? 13 : 14, up.type(), type.id());
            assertEquals(type == GgufFileType.Q5_K_M ? 7 : 8, down.type(), type.id() + ": 288-wide rows fall back");
            double upError = FloatArrays.relativeError(
                    gguf.values(up.name()),
                    hf.get("model.layers.0.mlp.up_proj.weight").values());
            double downError = FloatArrays.relativeError(
                    gguf.values(down.name()),
                    hf.get("model.layers.0.mlp.down_proj.weight").values());
            assertTrue(upError < (type == GgufFileType.Q5_K_M ? 0.03 : 0.015), type.id() + " up: " + upError);
            assertTrue(downError < (type == GgufFileType.Q5_K_M ? 0.035 : 0.005), type.id() + " down: " + downError);
            GgufExporterTest.assertDataLaidOut(gguf);
        }
    }

    @Test
    void moreBitsIsLlamaCppsLayerPattern() {
        // 32 layers: the first and last four, then every third from layer 6
        assertEquals(
                List.of(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31),
                IntStream.range(0, 32)
                        .filter(l -> GgufFileType.moreBits(l, 32))
                        .boxed()
                        .toList());
        assertFalse(GgufFileType.moreBits(0, 2));
        assertTrue(GgufFileType.moreBits(1, 2));
    }

    @Test
    void aTiedEmbeddingIsTheOutputAndRowsOfThirtyTwoFallBack() {
        GgufFileType mix = GgufFileType.Q4_K_M;
        assertEquals(GgufType.Q8_0, mix.tensorType(GgufFileType.Role.OUTPUT, -1, 2, 32));
        assertEquals(GgufType.Q5_0, mix.tensorType(GgufFileType.Role.MATRIX, 0, 2, 32));
        assertEquals(GgufType.F16, mix.tensorType(GgufFileType.Role.MATRIX, 0, 2, 48));
        assertEquals(GgufType.F32, mix.tensorType(GgufFileType.Role.VECTOR, 0, 2, 256));
        assertEquals(GgufType.Q5_1, GgufFileType.Q5_K_M.tensorType(GgufFileType.Role.ATTN_V, 0, 2, 96));
    }

    private Path export(GgufFileType type) throws Exception {
        Path out = tmp.resolve(type.id());
        String file = GgufExporter.write(
                out,
                "kquant",
                HfConfig.of(CONFIG, tmp.resolve("config.json")),
                GgufExporterTest.TOKENIZER,
                checkpoint(),
                type,
                null);
        return out.resolve(file);
    }

    /**
     * The check's checkpoint, as tools/gguf-kquant-reference.py makes it: per tensor a 32-bit LCG seeded by the
     * CRC-32 of its name, each value ((state >> 16) − 32768) / 2¹⁹ (exact in F32), norms plus one.
     */
    static Map<String, HfTensor> checkpoint() {
        int h = 256;
        int inter = 288;
        int kv = 64;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {128, h});
        shapes.put("model.norm.weight", new long[] {h});
        shapes.put("lm_head.weight", new long[] {128, h});
        for (int layer = 0; layer < 2; layer++) {
            String p = "model.layers." + layer + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {h});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {h});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {h, h});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {h, h});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {inter, h});
            shapes.put(p + "mlp.up_proj.weight", new long[] {inter, h});
            shapes.put(p + "mlp.down_proj.weight", new long[] {h, inter});
        }
        Map<String, HfTensor> tensors = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            CRC32 crc = new CRC32();
            crc.update(name.getBytes(StandardCharsets.UTF_8));
            long state = crc.getValue();
            float[] values = new float[Math.toIntExact(shape.length == 1 ? shape[0] : shape[0] * shape[1])];
            for (int i = 0; i < values.length; i++) {
                state = (1664525 * state + 1013904223) & 0xFFFF_FFFFL;
                values[i] = ((int) (state >>> 16) - 32768) / 524288f;
                if (name.endsWith("norm.weight")) {
                    values[i] += 1f;
                }
            }
            tensors.put(name, new HfTensor(shape, values));
        });
        return tensors;
    }
}
