package dev.osprey.models.minicpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens (batched and cached) and a PEFT LoRA adapter's logits (attached and merged) equal
 * those of MiniCPM's own modeling_minicpm.py on tiny configs (tools/make-remote-code-fixtures.py): minicpm4 is
 * MiniCPM4-8B's code with its LongRoPE (long factors, max 64 over original 32) on a tied head, minicpm2 is
 * MiniCPM-2B's on an untied one; both with scale_emb 2.5, scale_depth 1.4 and dim_model_base 8 of hidden 32.
 */
class MiniCpmReferenceTest {

    private static final String TINY = "{\"model_type\": \"minicpm\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 4, \"num_attention_heads\": 2";

    @TempDir
    Path dir;

    @Test
    void matchesMiniCpm4sOwnCode() throws Exception {
        HfReference.check(getClass(), "minicpm4", new MiniCpmArchitecture());
    }

    @Test
    void matchesMiniCpm2sOwnCode() throws Exception {
        HfReference.check(getClass(), "minicpm2", new MiniCpmArchitecture());
    }

    @Test
    void gradientsFlowThroughTheScaledBlocks() throws Exception {
        Path folder = HfReference.fixture(getClass(), "minicpm4");
        GradientCheck.check(folder, new MiniCpmArchitecture(), "model.embed_tokens.weight", 1e-2f);
        GradientCheck.check(folder, new MiniCpmArchitecture(), "model.layers.1.mlp.down_proj.weight", 1e-2f);
    }

    @Test
    void readsTheScalings() throws Exception {
        MiniCpmArchitecture.MiniCpmConfig c =
                config(TINY + ", \"scale_emb\": 12, \"scale_depth\": 1.4, \"dim_model_base\": 2}");
        assertEquals(12, c.scaleEmb());
        assertEquals(1.4 / 2, c.residualScale(), 1e-12); // sqrt(4 layers)
        assertEquals(0.25, c.headScale(), 1e-12);
        assertTrue(c.common().tieWordEmbeddings()); // MiniCPM's config ties by default
    }

    @Test
    void longRopeUsesTheLongFactorsAtEveryLengthWhenTheCacheExceedsTheOriginal() throws Exception {
        String scaling = ", \"max_position_embeddings\": 64, \"rope_scaling\": {\"rope_type\": \"longrope\","
                + " \"short_factor\": [1.0, 1.0], \"long_factor\": [2.0, 4.0], \"original_max_position_embeddings\":"
                + " %d}}";
        float[] longOnes = config(TINY + String.format(scaling, 32)).rope().inverseFrequencies(3);
        assertEquals(1 / 2.0, longOnes[0], 1e-7); // 10000^0 / 2, even for a 3-token pass
        assertEquals(1 / 100.0 / 4, longOnes[1], 1e-9);
        float[] shortOnes = config(TINY + String.format(scaling, 64)).rope().inverseFrequencies(3);
        assertEquals(1.0, shortOnes[0], 1e-7);
    }

    @Test
    void namesTheFieldsAtFault() {
        for (String[] bad : new String[][] {
            {", \"pretraining_tp\": 2}", "pretraining_tp"},
            {", \"dim_model_base\": 0}", "dim_model_base"},
            {
                ", \"max_position_embeddings\": 64, \"rope_scaling\": {\"rope_type\": \"longrope\", \"short_factor\": [1],"
                        + " \"long_factor\": [1, 2], \"original_max_position_embeddings\": 32}}",
                "short_factor"
            }
        }) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> config(TINY + bad[0]), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    private MiniCpmArchitecture.MiniCpmConfig config(String json) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return MiniCpmArchitecture.MiniCpmConfig.from(HfConfig.read(file));
    }
}
