package dev.osprey.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationConfigTest {

    @TempDir
    Path dir;

    @Test
    void eosAsASingleInt() throws IOException {
        Files.writeString(dir.resolve(GenerationConfig.FILE), """
                {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": null, "do_sample": true,
                 "temperature": 0.6, "top_p": 0.9, "top_k": 20, "repetition_penalty": 1.05,
                 "max_new_tokens": 512, "max_length": 4096, "transformers_version": "4.45.0"}
                """);
        GenerationConfig g = GenerationConfig.read(dir);
        assertEquals(List.of(2), g.eosTokenIds());
        assertEquals(Optional.of(1), g.bosTokenId());
        assertEquals(Optional.empty(), g.padTokenId());
        assertEquals(Optional.of(true), g.doSample());
        assertEquals(Optional.of(0.6), g.temperature());
        assertEquals(Optional.of(0.9), g.topP());
        assertEquals(Optional.of(20), g.topK());
        assertEquals(Optional.of(1.05), g.repetitionPenalty());
        assertEquals(Optional.of(512), g.maxNewTokens());
        assertEquals(Optional.of(4096), g.maxLength());
        assertEquals(Optional.of(dir.resolve(GenerationConfig.FILE)), g.source());
    }

    @Test
    void eosAsAList() throws IOException {
        Files.writeString(
                dir.resolve(GenerationConfig.FILE), "{\"eos_token_id\": [151645, 151643], \"temperature\": 1}");
        GenerationConfig g = GenerationConfig.read(dir);
        assertEquals(List.of(151645, 151643), g.eosTokenIds());
        assertEquals(Optional.of(1.0), g.temperature());
        assertEquals(Optional.empty(), g.topK());
    }

    @Test
    void missingFileGivesEmptyDefaults() throws IOException {
        GenerationConfig g = GenerationConfig.read(dir);
        assertSame(GenerationConfig.empty(), g);
        assertEquals(List.of(), g.eosTokenIds());
        assertTrue(g.temperature().isEmpty()
                && g.doSample().isEmpty()
                && g.source().isEmpty());
    }

    @Test
    void wrongTypesNameTheFileAndField() throws IOException {
        Path file = dir.resolve(GenerationConfig.FILE);
        Files.writeString(file, "{\"eos_token_id\": [2, \"</s>\"]}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> GenerationConfig.read(dir));
        assertTrue(e.getMessage().startsWith("generation_config.json (" + file + ")"), e.getMessage());
        assertTrue(e.getMessage().contains("'eos_token_id[1]' must be a number, was \"</s>\""), e.getMessage());
        Files.writeString(file, "{\"top_k\": 2.5}");
        e = assertThrows(CheckpointException.class, () -> GenerationConfig.read(dir));
        assertTrue(e.getMessage().contains("'top_k' must be an integer"), e.getMessage());
        Files.writeString(file, "{\"do_sample\": \"yes\"}");
        e = assertThrows(CheckpointException.class, () -> GenerationConfig.read(dir));
        assertTrue(e.getMessage().contains("'do_sample'"), e.getMessage());
    }
}
