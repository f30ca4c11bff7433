package dev.osprey.export.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.export.impl.GgufModel.HfTensor;

/**
 * SentencePiece vocabularies in GGUF (llama.cpp's {@code llama} tokenizer) on the reference Mistral and Gemma
 * checkpoints, with the tokenizers of tools/make-spm-tokenizer.py: the files llama.cpp was run on (pinned by SHA-256;
 * tools/gguf-llamacpp-reference.sh checked there that llama.cpp tokenizes a few texts into the ids the tokenizers
 * library gives), their vocabulary metadata, Gemma's norms plus one, and both ways of reading the vocabulary.
 */
class GgufSentencePieceTest {

    private static final Path REFERENCE = Path.of("../../plugins-models");
    static final Path MISTRAL = REFERENCE.resolve("llama/src/test/resources/reference/mistral");
    static final Path GEMMA = REFERENCE.resolve("gemma/src/test/resources/reference/gemma");
    static final Path SPM = GgufExporterTest.TOKENIZER.resolve("spm");
    static final Path SPM_GEMMA = GgufExporterTest.TOKENIZER.resolve("spm-gemma");

    @TempDir
    Path tmp;

    @Test
    void theFilesLlamaCppWasRunOnAreTheOnesWrittenNow() throws Exception {
        for (String type : List.of("f32", "q8_0")) {
            assertEquals(
                    golden("mistral").path(type).path("sha256").asText(),
                    GgufExporterTest.sha256(export("mistral", MISTRAL, jsonOnly(SPM), type)),
                    "mistral " + type + ": the export changed; rerun tools/gguf-llamacpp-reference.sh");
            assertEquals(
                    golden("gemma").path(type).path("sha256").asText(),
                    GgufExporterTest.sha256(export("gemma", GEMMA, SPM_GEMMA, type)),
                    "gemma " + type + ": the export changed; rerun tools/gguf-llamacpp-reference.sh");
        }
        JsonNode tokenize = golden("gemma").at("/f32/tokenize");
        assertEquals(tokenize.get("hf"), tokenize.get("llama_cpp"), "llama.cpp tokenized as tokenizers did");
    }

    @Test
    void gemmaIsALlamaVocabularyWithoutSpacePrefixAndNormsPlusOne() throws Exception {
        GgufReader gguf = new GgufReader(export("gemma", GEMMA, SPM_GEMMA, "f32"));
        Map<String, Object> kv = gguf.metadata;
        assertEquals("gemma", kv.get("general.architecture"));
        assertEquals("llama", kv.get("tokenizer.ggml.model"));
        assertEquals("default", kv.get("tokenizer.ggml.pre"));
        assertEquals(false, kv.get("tokenizer.ggml.add_space_prefix"));
        assertEquals(128, ((List<?>) kv.get("tokenizer.ggml.scores")).size());
        assertEquals(List.of(2, 3, 3, 1), ((List<?>) kv.get("tokenizer.ggml.token_type")).subList(0, 4));
        assertEquals(List.of("<unk>", "<s>", "</s>", "▁t"), ((List<?>) kv.get("tokenizer.ggml.tokens")).subList(0, 4));
        assertEquals(1, kv.get("tokenizer.ggml.bos_token_id"));
        assertEquals(0, kv.get("tokenizer.ggml.unknown_token_id"));
        assertFalse(gguf.tensors.containsKey("output.weight"), "Gemma ties its head to the embedding");

        Map<String, HfTensor> hf = GgufExporterTest.checkpoint(GEMMA);
        float[] norm = hf.get("model.layers.1.input_layernorm.weight").values();
        float[] written = gguf.values("blk.1.attn_norm.weight");
        for (int i = 0; i < norm.length; i++) {
            assertEquals(norm[i] + 1, written[i], "Gemma's (1 + w) as llama.cpp's w, at " + i);
        }
        assertArrayEquals(
                hf.get("model.layers.0.self_attn.q_proj.weight").values(),
                gguf.values("blk.0.attn_q.weight"),
                "NEOX rope: not permuted");
    }

    @Test
    void tokenizerJsonAloneGivesTheModelFilesPiecesAndScoreOrder() throws Exception {
        SentencePieceVocab.Pieces proto = SentencePieceVocab.fromModelFile(SPM.resolve("tokenizer.model"));
        JsonNode json =
                new ObjectMapper().readTree(SPM.resolve("tokenizer.json").toFile());
        SentencePieceVocab.Pieces derived = SentencePieceVocab.fromTokenizerJson(json);
        assertEquals(proto.tokens(), derived.tokens());
        assertTrue(proto.addSpacePrefix());
        assertTrue(derived.addSpacePrefix());
        assertEquals(2, derived.types().get(0), "<unk> is the unknown piece");
        assertEquals(proto.types().get(5), derived.types().get(5));
        assertFalse(SentencePieceVocab.fromModelFile(SPM_GEMMA.resolve("tokenizer.model"))
                .addSpacePrefix());

        // the pieces a merge makes: the same order by score from either source (llama.cpp merges by that order)
        List<Integer> merged = new ArrayList<>();
        derived.scores().forEach((id, score) -> {
            if (score < 0) {
                merged.add(id);
            }
        });
        assertTrue(merged.size() > 50, "merged pieces: " + merged.size());
        for (int a : merged) {
            for (int b : merged) {
                assertEquals(
                        Float.compare(proto.scores().get(a), proto.scores().get(b)),
                        Float.compare(derived.scores().get(a), derived.scores().get(b)),
                        derived.tokens().get(a) + " vs " + derived.tokens().get(b));
            }
        }
    }

    @Test
    void aByteLevelTokenizerForGemmaIsRefusedByName() throws Exception {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> export("gemma", GEMMA, GgufExporterTest.TOKENIZER, "f32"));
        assertTrue(e.getMessage().contains("takes a SentencePiece tokenizer"), e.getMessage());
    }

    private JsonNode golden(String model) throws Exception {
        return new ObjectMapper()
                .readTree(GgufExporterTest.TOKENIZER
                        .resolve("llamacpp-" + model + ".json")
                        .toFile());
    }

    /** A copy of a tokenizer folder without its tokenizer.model. */
    private Path jsonOnly(Path tokenizer) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("json-only"));
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(tokenizer.resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }

    /** {@code MODEL-TYPE.gguf} of the reference checkpoint, its sliding window dropped as the reference run did. */
    private Path export(String name, Path model, Path tokenizer, String type) throws Exception {
        Map<String, Object> config =
                new LinkedHashMap<>(HfConfig.read(model.resolve("config.json")).asMap());
        config.remove("sliding_window");
        Path out = tmp.resolve(name + "-" + type);
        String file = GgufExporter.write(
                out,
                name,
                HfConfig.of(config, model.resolve("config.json")),
                tokenizer,
                GgufExporterTest.checkpoint(model),
                GgufFileType.parse(type),
                null);
        return out.resolve(file);
    }
}
