package dev.osprey.export.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.api.job.Arguments;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.checkpoint.Safetensors;
import dev.osprey.checkpoint.TensorInfo;
import dev.osprey.export.impl.GgufModel.HfTensor;

/**
 * The GGUF files the {@code gguf} exporter writes for the reference llama and qwen2 checkpoints, read back by an
 * independent parser: header, metadata, tensor names and shapes, aligned data offsets, values (Q8_0 dequantized).
 * The files llama.cpp was run on (tools/gguf-llamacpp-reference.py) are pinned by their SHA-256, so the golden
 * greedy tokens in src/test/resources/gguf describe exactly what this code writes.
 */
class GgufExporterTest {

    private static final Path REFERENCE = Path.of("../../plugins-models");
    static final Path LLAMA = REFERENCE.resolve("llama/src/test/resources/reference/llama");
    static final Path QWEN2 = REFERENCE.resolve("qwen/src/test/resources/reference/qwen2");
    static final Path TOKENIZER = Path.of("src/test/resources/gguf");
    private static final List<String> LAYER_TENSORS = List.of(
            "attn_norm.weight",
            "ffn_norm.weight",
            "attn_q.weight",
            "attn_k.weight",
            "attn_v.weight",
            "attn_output.weight",
            "ffn_gate.weight",
            "ffn_up.weight",
            "ffn_down.weight");

    @TempDir
    Path tmp;

    @Test
    void llamaF32HasLlamaCppMetadataNamesShapesAndPermutedQk() throws Exception {
        Map<String, HfTensor> hf = checkpoint(LLAMA);
        GgufReader gguf = export(LLAMA, hf, GgufFileType.F32);

        assertEquals(3, gguf.version);
        Map<String, Object> kv = gguf.metadata;
        assertEquals("llama", kv.get("general.architecture"));
        assertEquals(0, kv.get("general.file_type"));
        assertEquals(2, kv.get("llama.block_count"));
        assertEquals(64, kv.get("llama.context_length"));
        assertEquals(32, kv.get("llama.embedding_length"));
        assertEquals(64, kv.get("llama.feed_forward_length"));
        assertEquals(4, kv.get("llama.attention.head_count"));
        assertEquals(2, kv.get("llama.attention.head_count_kv"));
        assertEquals(8, kv.get("llama.rope.dimension_count"));
        assertEquals(10000f, kv.get("llama.rope.freq_base"));
        assertEquals(1e-6f, kv.get("llama.attention.layer_norm_rms_epsilon"));
        assertEquals("gpt2", kv.get("tokenizer.ggml.model"));
        assertEquals("llama-bpe", kv.get("tokenizer.ggml.pre"));
        List<?> tokens = (List<?>) kv.get("tokenizer.ggml.tokens");
        List<?> types = (List<?>) kv.get("tokenizer.ggml.token_type");
        assertEquals(128, tokens.size());
        assertEquals("<|im_start|>", tokens.get(1));
        assertEquals(List.of(3, 3, 3, 1), types.subList(0, 4), "specials are control tokens");
        assertEquals(29, ((List<?>) kv.get("tokenizer.ggml.merges")).size());
        assertEquals("t h", ((List<?>) kv.get("tokenizer.ggml.merges")).get(0));
        assertEquals(1, kv.get("tokenizer.ggml.bos_token_id"));
        assertEquals(2, kv.get("tokenizer.ggml.eos_token_id"));
        assertEquals(0, kv.get("tokenizer.ggml.padding_token_id"));
        assertEquals(32, kv.get("general.alignment"));

        Set<String> expected = new TreeSet<>(Set.of("token_embd.weight", "output_norm.weight", "output.weight"));
        for (int layer = 0; layer < 2; layer++) {
            for (String t : LAYER_TENSORS) {
                expected.add("blk." + layer + "." + t);
            }
        }
        assertEquals(expected, new TreeSet<>(gguf.tensors.keySet()));
        assertArrayEquals(
                new long[] {32, 128}, gguf.tensors.get("token_embd.weight").ne());
        assertArrayEquals(
                new long[] {32, 16}, gguf.tensors.get("blk.0.attn_k.weight").ne());
        assertArrayEquals(
                new long[] {64, 32}, gguf.tensors.get("blk.1.ffn_down.weight").ne());
        assertArrayEquals(
                new long[] {32}, gguf.tensors.get("blk.1.ffn_norm.weight").ne());
        assertDataLaidOut(gguf);

        assertArrayEquals(hf.get("model.embed_tokens.weight").values(), gguf.values("token_embd.weight"));
        assertArrayEquals(
                hf.get("model.layers.1.self_attn.v_proj.weight").values(), gguf.values("blk.1.attn_v.weight"));
        // llama.cpp's rope rotates adjacent pairs: row h*8 + 2i + j of the file is row h*8 + j*4 + i of the checkpoint
        assertInterleaved(
                hf.get("model.layers.0.self_attn.q_proj.weight").values(), gguf.values("blk.0.attn_q.weight"), 4);
        assertInterleaved(
                hf.get("model.layers.1.self_attn.k_proj.weight").values(), gguf.values("blk.1.attn_k.weight"), 2);
    }

    @Test
    void qwen2F16KeepsQkTiesTheHeadAndKeepsNormsAndBiasesF32() throws Exception {
        Map<String, HfTensor> hf = checkpoint(QWEN2);
        GgufReader gguf = export(QWEN2, hf, GgufFileType.F16);
        assertEquals("qwen2", gguf.metadata.get("general.architecture"));
        assertEquals("qwen2", gguf.metadata.get("tokenizer.ggml.pre"));
        assertEquals(1000000f, gguf.metadata.get("qwen2.rope.freq_base"));
        assertEquals(1, gguf.metadata.get("general.file_type"));
        assertFalse(gguf.tensors.containsKey("output.weight"), "tied embeddings: llama.cpp reuses token_embd");
        assertEquals(1, gguf.tensors.get("blk.0.attn_q.weight").type());
        assertEquals(0, gguf.tensors.get("blk.0.attn_q.bias").type());
        assertEquals(0, gguf.tensors.get("blk.0.attn_norm.weight").type());
        assertDataLaidOut(gguf);
        float[] q = hf.get("model.layers.0.self_attn.q_proj.weight").values();
        float[] written = gguf.values("blk.0.attn_q.weight");
        for (int i = 0; i < q.length; i++) {
            assertEquals(q[i], written[i], Math.abs(q[i]) / 1000 + 1e-7, "f16 and not permuted, at " + i);
        }
        assertArrayEquals(hf.get("model.layers.1.self_attn.k_proj.bias").values(), gguf.values("blk.1.attn_k.bias"));
    }

    @Test
    void q8_0BlocksDequantizeToTheWeightsWithinHalfAStep() throws Exception {
        Map<String, HfTensor> hf = checkpoint(QWEN2);
        GgufReader gguf = export(QWEN2, hf, GgufFileType.Q8_0);
        assertEquals(7, gguf.metadata.get("general.file_type"));
        assertEquals(0, gguf.tensors.get("output_norm.weight").type());
        for (String name : List.of("model.embed_tokens.weight", "model.layers.1.mlp.down_proj.weight")) {
            String ggufName = new GgufModel(HfConfig.read(QWEN2.resolve("config.json"))).ggufName(name);
            assertEquals(8, gguf.tensors.get(ggufName).type(), ggufName);
            float[] w = hf.get(name).values();
            float[] q = gguf.values(ggufName);
            for (int b = 0; b < w.length; b += 32) {
                float amax = 0;
                for (int i = b; i < b + 32; i++) {
                    amax = Math.max(amax, Math.abs(w[i]));
                }
                float step = amax / 127;
                for (int i = b; i < b + 32; i++) {
                    // half a step of rounding, plus the scale's own F16 rounding over 127 steps
                    assertEquals(w[i], q[i], step * 0.5 + amax / 1000 + 1e-7, ggufName + " at " + i);
                }
            }
        }
        assertDataLaidOut(gguf);
    }

    /** The golden file's SHA-256 is this code's F32 export, so llama.cpp's tokens there were computed on it. */
    @Test
    void theFilesLlamaCppWasRunOnAreTheOnesWrittenNow() throws Exception {
        for (Path model : List.of(LLAMA, QWEN2)) {
            JsonNode golden = golden(model);
            for (String type : List.of("f32", "f16", "q8_0")) {
                Path out = tmp.resolve(model.getFileName() + "-" + type);
                String file = GgufExporter.write(
                        out,
                        model.getFileName().toString(),
                        HfConfig.read(model.resolve("config.json")),
                        TOKENIZER,
                        checkpoint(model),
                        GgufFileType.parse(type),
                        null);
                assertEquals(
                        golden.path(type).path("sha256").asText(),
                        sha256(out.resolve(file)),
                        model.getFileName() + " " + type
                                + ": the export changed; rerun tools/gguf-llamacpp-reference.py");
            }
        }
    }

    @Test
    void unsupportedModelsTokenizersAndTypesAreNamed() throws Exception {
        Map<String, Object> gemma =
                new LinkedHashMap<>(HfConfig.read(LLAMA.resolve("config.json")).asMap());
        gemma.put("model_type", "gemma");
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> new GgufModel(HfConfig.of(gemma, LLAMA.resolve("config.json"))));
        assertTrue(e.getMessage().contains("model_type gemma"), e.getMessage());

        Map<String, Object> scaled =
                new LinkedHashMap<>(HfConfig.read(LLAMA.resolve("config.json")).asMap());
        scaled.put("rope_parameters", Map.of("rope_type", "dynamic", "factor", 2.0, "rope_theta", 500000.0));
        e = assertThrows(
                IllegalArgumentException.class, () -> new GgufModel(HfConfig.of(scaled, LLAMA.resolve("config.json"))));
        assertTrue(e.getMessage().contains("rope_type = dynamic"), e.getMessage());

        Path wordLevel = Files.createDirectories(tmp.resolve("word-level"));
        Files.writeString(
                wordLevel.resolve("tokenizer.json"), "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}}");
        Path target = tmp.resolve("out");
        e = assertThrows(
                IllegalArgumentException.class,
                () -> GgufExporter.write(
                        target,
                        "llama",
                        HfConfig.read(LLAMA.resolve("config.json")),
                        wordLevel,
                        checkpoint(LLAMA),
                        GgufFileType.F32,
                        null));
        assertTrue(e.getMessage().contains("model.type WordLevel"), e.getMessage());
        assertFalse(Files.exists(target), "nothing is written when the export fails");
        try (var left = Files.list(tmp)) {
            assertEquals(
                    List.of(),
                    left.filter(p -> p.getFileName().toString().startsWith(".")).toList());
        }

        e = assertThrows(IllegalArgumentException.class, () -> GgufFileType.parse("q4_k"));
        assertTrue(e.getMessage().contains("[f32, f16, q8_0, q4_k_m, q5_k_m, q6_k]"), e.getMessage());
        assertEquals(GgufFileType.Q8_0, GgufExporter.type(Arguments.of(Map.of("quant_bits", 8))));
        assertEquals(GgufFileType.F16, GgufExporter.type(Arguments.of(Map.of())));
        assertEquals(GgufFileType.F32, GgufExporter.type(Arguments.of(Map.of("gguf_type", "F32"))));
        assertEquals(GgufFileType.Q4_K_M, GgufExporter.type(Arguments.of(Map.of("quant_bits", 4))));
        e = assertThrows(
                IllegalArgumentException.class, () -> GgufExporter.type(Arguments.of(Map.of("quant_bits", 3))));
        assertTrue(e.getMessage().contains("--quant_bits 3"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> GgufExporter.type(Arguments.of(Map.of("quant_bits", 8, "gguf_type", "f16"))));
    }

    /** What llama.cpp's Gemma 2/3 cannot compute as transformers does is refused, naming the config field. */
    @Test
    void gemmaAttentionLlamaCppComputesOtherwiseIsRefusedByName() throws Exception {
        Path gemma2 = REFERENCE.resolve("gemma/src/test/resources/reference/gemma2/config.json");
        Map<String, Object> config = new LinkedHashMap<>(HfConfig.read(gemma2).asMap());
        config.put("tie_word_embeddings", true);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new GgufModel(HfConfig.of(config, gemma2)));
        assertTrue(e.getMessage().contains("query_pre_attn_scalar = 16"), e.getMessage());

        config.put("query_pre_attn_scalar", 8);
        new GgufModel(HfConfig.of(config, gemma2));
        config.put("layer_types", List.of("full_attention", "sliding_attention"));
        e = assertThrows(IllegalArgumentException.class, () -> new GgufModel(HfConfig.of(config, gemma2)));
        assertTrue(e.getMessage().contains("layer_types[0]"), e.getMessage());

        config.remove("layer_types");
        config.put("tie_word_embeddings", false);
        e = assertThrows(IllegalArgumentException.class, () -> new GgufModel(HfConfig.of(config, gemma2)));
        assertTrue(e.getMessage().contains("tie_word_embeddings = false"), e.getMessage());
    }

    @Test
    void permuteIsConvertHfToGgufsForAHeadOfFour() {
        // one head of dim 4, rows of length 1: [x0, x1, y0, y1] -> [x0, y0, x1, y1]
        assertArrayEquals(new float[] {0, 2, 1, 3}, GgufModel.permute(new float[] {0, 1, 2, 3}, 4, 1));
    }

    @Test
    void halfRoundsToNearestEven() {
        for (float f : new float[] {0f, 1f, -2.5f, 65504f, 1e-7f, 6.1e-5f, 0.1f, 3.14159f, -1e-3f}) {
            float back = GgufReader.half(Half.fromFloat(f));
            assertEquals(f, back, Math.abs(f) / 1024 + 0x1p-25f, "f16 of " + f);
        }
        assertEquals((short) 0x3c00, Half.fromFloat(1f));
        assertEquals((short) 0x3c00, Half.fromFloat(1f + 0x1p-11f), "a tie rounds to the even mantissa");
        assertEquals((short) 0x3c02, Half.fromFloat(1f + 3 * 0x1p-11f), "a tie rounds to the even mantissa");
        assertEquals((short) 0x7c00, Half.fromFloat(1e6f));
    }

    static JsonNode golden(Path model) throws IOException {
        return new ObjectMapper()
                .readTree(TOKENIZER
                        .resolve("llamacpp-" + model.getFileName() + ".json")
                        .toFile());
    }

    private GgufReader export(Path model, Map<String, HfTensor> hf, GgufFileType type) throws IOException {
        Path out = tmp.resolve(type.id());
        String file = GgufExporter.write(
                out,
                model.getFileName().toString(),
                HfConfig.read(model.resolve("config.json")),
                TOKENIZER,
                hf,
                type,
                null);
        assertEquals(model.getFileName() + "-" + type.id() + ".gguf", file);
        try (var files = Files.list(out)) {
            assertEquals(List.of(out.resolve(file)), files.toList());
        }
        return new GgufReader(out.resolve(file));
    }

    /** Offsets aligned, in order, not overlapping, and the last tensor ends the file. */
    static void assertDataLaidOut(GgufReader gguf) {
        assertEquals(0, gguf.dataStart % 32);
        long end = 0;
        for (GgufReader.Info t : gguf.tensors.values()) {
            assertEquals(0, t.offset() % 32, t.name());
            assertTrue(t.offset() >= end, t.name() + " overlaps the tensor before it");
            end = t.offset() + GgufReader.bytes(t);
        }
        assertEquals(gguf.fileSize, GgufWriter.align(gguf.dataStart + end));
    }

    private static void assertInterleaved(float[] hf, float[] gguf, int heads) {
        int rows = hf.length / 32;
        int headDim = rows / heads;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < headDim / 2; i++) {
                for (int j = 0; j < 2; j++) {
                    for (int c = 0; c < 32; c++) {
                        assertEquals(
                                hf[(h * headDim + j * headDim / 2 + i) * 32 + c],
                                gguf[(h * headDim + 2 * i + j) * 32 + c]);
                    }
                }
            }
        }
    }

    /** An F32 safetensors checkpoint, read without an engine. */
    static Map<String, HfTensor> checkpoint(Path folder) throws IOException {
        Path file = folder.resolve("model.safetensors");
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long dataStart = 8 + bytes.getLong(0);
        Map<String, HfTensor> tensors = new LinkedHashMap<>();
        for (TensorInfo info : Safetensors.readHeader(file).values()) {
            assertEquals("F32", info.dtype(), info.name());
            float[] values = new float[Math.toIntExact(info.numel())];
            bytes.position(Math.toIntExact(dataStart + info.begin()))
                    .slice()
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer()
                    .get(values);
            tensors.put(info.name(), new HfTensor(info.shape(), values));
        }
        return tensors;
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
