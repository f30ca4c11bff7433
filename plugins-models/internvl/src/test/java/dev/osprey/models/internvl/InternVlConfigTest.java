package dev.osprey.models.internvl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.checkpoint.HfConfig;

/** Reading InternVL's configs: the {@code <IMG_CONTEXT>} id from the tokenizer's files, and errors that name fields. */
class InternVlConfigTest {

    @TempDir
    Path folder;

    private ModelConfig config() {
        return HfConfig.of(Map.of("model_type", "internvl_chat"), folder.resolve("config.json"));
    }

    @Test
    void theImageContextIdIsReadFromTokenizerConfigsAddedTokensDecoder() throws IOException {
        Files.writeString(folder.resolve("tokenizer_config.json"), """
                {"added_tokens_decoder": {
                  "151666": {"content": "</img>", "lstrip": false, "special": true},
                  "151667": {"content": "<IMG_CONTEXT>", "lstrip": false, "normalized": false, "special": true}
                }, "model_max_length": 8192}
                """);
        assertEquals(151667, InternVlConfig.imageContextToken(config()));
    }

    @Test
    void theImageContextIdIsReadFromTokenizerJsonsAddedTokens() throws IOException {
        Files.writeString(folder.resolve("tokenizer.json"), """
                {"version": "1.0", "added_tokens": [
                  {"id": 92545, "content": "<img>", "single_word": false, "special": true},
                  {"id": 92546, "content": "<IMG_CONTEXT>", "single_word": false, "special": true}
                ], "model": {"vocab": {"<IMG_CONTEXT>x": 5}}}
                """);
        assertEquals(92546, InternVlConfig.imageContextToken(config()));
    }

    @Test
    void aModelWithoutTheTokenSaysWhereItLooked() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> InternVlConfig.imageContextToken(config()));
        assertTrue(e.getMessage().contains("<IMG_CONTEXT> is in none of [added_tokens.json"), e.getMessage());
    }

    @Test
    void theLanguageModelsFieldsAreNamedInFull() {
        ModelConfig c = HfConfig.of(
                Map.of("llm_config", Map.of("architectures", List.of("Qwen2ForCausalLM"), "model_type", "qwen2")),
                folder.resolve("config.json"));
        ConfigSection language = new ConfigSection(c, "llm_config");
        assertEquals("qwen2", language.modelType());
        assertEquals("Qwen2ForCausalLM", language.architecture().orElseThrow());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> language.requireInt("hidden_size"));
        assertTrue(e.getMessage().contains("llm_config.hidden_size"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ConfigSection(c, "text_config"));
        assertTrue(e.getMessage().contains("'text_config' (the language model's config) is missing"), e.getMessage());
    }

    @Test
    void aTileSizeOtherThanTheTowersIsRefusedByName() {
        Map<String, Object> vision = Map.of(
                "hidden_size", 32,
                "num_hidden_layers", 2,
                "num_attention_heads", 2,
                "intermediate_size", 48,
                "image_size", 448,
                "patch_size", 14);
        ModelConfig c = HfConfig.of(
                Map.of("vision_config", vision, "force_image_size", 224, "img_context_token_id", 5),
                folder.resolve("config.json"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InternVlConfig.chat(c));
        assertTrue(
                e.getMessage().contains("force_image_size (224) differs from vision_config.image_size (448)"),
                e.getMessage());
        Map<String, Object> sizeless = new HashMap<>(vision);
        sizeless.remove("image_size");
        ModelConfig noSize = HfConfig.of(Map.of("vision_config", sizeless), folder.resolve("config.json"));
        e = assertThrows(IllegalArgumentException.class, () -> InternVlConfig.chat(noSize));
        assertTrue(e.getMessage().contains("'vision_config.image_size' is missing"), e.getMessage());
    }
}
