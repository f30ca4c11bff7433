package dev.osprey.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerConfigTest {

    @TempDir
    Path dir;

    @Test
    void addedTokenObjectsAndNamedTemplates() throws IOException {
        Files.writeString(dir.resolve(TokenizerConfig.FILE), """
                {
                  "add_bos_token": true,
                  "add_eos_token": false,
                  "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false, "normalized": false,
                                "rstrip": false, "single_word": false},
                  "eos_token": {"__type": "AddedToken", "content": "</s>"},
                  "pad_token": null,
                  "unk_token": "<unk>",
                  "model_max_length": 1000000000000000019884624838656,
                  "chat_template": [
                    {"name": "default", "template": "{% for m in messages %}{{ m.content }}{% endfor %}"},
                    {"name": "tool_use", "template": "{{ tools }}"},
                    {"name": "rag", "template": "{{ documents }}"}
                  ],
                  "tokenizer_class": "LlamaTokenizer"
                }
                """);
        TokenizerConfig t = TokenizerConfig.read(dir);
        assertEquals(Optional.of("<s>"), t.bosToken());
        assertEquals(Optional.of("</s>"), t.eosToken());
        assertEquals(Optional.empty(), t.padToken());
        assertEquals(Optional.of("<unk>"), t.unkToken());
        assertEquals(Optional.of(true), t.addBosToken());
        assertEquals(Optional.of(false), t.addEosToken());
        assertEquals(Optional.empty(), t.modelMaxLength(), "int(1e30) means no limit");
        assertEquals(
                List.of("default", "tool_use", "rag"),
                List.copyOf(t.chatTemplates().keySet()));
        assertEquals(Optional.of("{% for m in messages %}{{ m.content }}{% endfor %}"), t.defaultChatTemplate());
        assertEquals(Optional.of("{{ tools }}"), t.chatTemplate("tool_use"));
        assertEquals("LlamaTokenizer", t.asMap().get("tokenizer_class"));
    }

    @Test
    void stringTokensAndAStringTemplate() throws IOException {
        Files.writeString(dir.resolve(TokenizerConfig.FILE), """
                {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": null,
                 "model_max_length": 131072, "chat_template": "{{ messages }}"}
                """);
        TokenizerConfig t = TokenizerConfig.read(dir);
        assertEquals(Optional.of("<|im_end|>"), t.eosToken());
        assertEquals(Optional.empty(), t.bosToken());
        assertEquals(Optional.of(131072L), t.modelMaxLength());
        assertEquals(Map.of("default", "{{ messages }}"), t.chatTemplates());
        assertEquals(Optional.of("{{ messages }}"), t.defaultChatTemplate());
        assertTrue(t.addBosToken().isEmpty());
    }

    @Test
    void chatTemplateJinjaFileIsUsedWhenTheConfigHasNone() throws IOException {
        Files.writeString(dir.resolve(TokenizerConfig.FILE), "{\"eos_token\": \"</s>\"}");
        Files.writeString(dir.resolve(TokenizerConfig.CHAT_TEMPLATE_FILE), "{{ bos_token }}{{ messages }}");
        TokenizerConfig t = TokenizerConfig.read(dir);
        assertEquals(Optional.of("{{ bos_token }}{{ messages }}"), t.defaultChatTemplate());
        assertEquals(Optional.of("</s>"), t.eosToken());
    }

    @Test
    void missingFileIsEmpty() throws IOException {
        TokenizerConfig t = TokenizerConfig.read(dir);
        assertTrue(t.eosToken().isEmpty()
                && t.chatTemplates().isEmpty()
                && t.defaultChatTemplate().isEmpty());
    }

    @Test
    void malformedFieldsNameTheFileAndField() throws IOException {
        Path file = dir.resolve(TokenizerConfig.FILE);
        Files.writeString(file, "{\"chat_template\": [{\"name\": \"default\"}]}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> TokenizerConfig.read(dir));
        assertTrue(e.getMessage().startsWith("tokenizer_config.json (" + file + ")"), e.getMessage());
        assertTrue(e.getMessage().contains("'chat_template[0].template'"), e.getMessage());
        Files.writeString(file, "{\"eos_token\": {\"__type\": \"AddedToken\"}}");
        e = assertThrows(CheckpointException.class, () -> TokenizerConfig.read(dir));
        assertTrue(e.getMessage().contains("'eos_token.content'"), e.getMessage());
        Files.writeString(file, "{\"bos_token\": 1}");
        e = assertThrows(CheckpointException.class, () -> TokenizerConfig.read(dir));
        assertTrue(e.getMessage().contains("'bos_token'"), e.getMessage());
        Files.writeString(file, "{\"chat_template\": 7}");
        e = assertThrows(CheckpointException.class, () -> TokenizerConfig.read(dir));
        assertTrue(e.getMessage().contains("'chat_template'"), e.getMessage());
    }
}
