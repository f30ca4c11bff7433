package dev.osprey.models.llama;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens and a LoRA adapter's logits equal transformers' LlamaForCausalLM's on a tiny
 * checkpoint with IQuest-Coder's config.json (tools/make-rearranged-fixtures.py: head_dim 16 over hidden 32, GQA,
 * rope_theta 500000).
 */
class IQuestCoderReferenceTest {

    private static final String TINY = "{\"model_type\": \"iquestcoder\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 1, \"num_attention_heads\": 2";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "iquestcoder", new IQuestCoderArchitecture());
    }

    @Test
    void refusesTheOptionsItLacks() throws Exception {
        for (String[] bad : new String[][] {
            {", \"clip_qkv\": 8.0}", "clip_qkv"},
            {", \"use_sliding_window\": true, \"sliding_window\": 4}", "use_sliding_window"}
        }) {
            Path file = dir.resolve("config.json");
            Files.writeString(file, TINY + bad[0]);
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> IQuestCoderArchitecture.config(HfConfig.read(file)));
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }
}
