package dev.osprey.models.hunyuan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.nn.Rope;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss and greedy tokens equal those Hugging Face transformers computed for a tiny HunYuan
 * checkpoint (written by tools/make-reference-fixtures.py; src/test/resources/reference).
 */
class HunYuanReferenceTest {

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "hunyuan", new HunYuanDenseArchitecture());
    }

    @Test
    void normsFollowTheRotaryEmbeddingAndAlphaRaisesTheBase() throws Exception {
        HfConfig config =
                HfConfig.read(HfReference.fixture(getClass(), "hunyuan").resolve("config.json"));
        Rope rope = (Rope)
                HunYuanDenseArchitecture.HunYuanConfig.from(config).common().rope();
        // rope_parameters {type dynamic, alpha 1000}: base 10000 · 1000^(8/6), the same for every length
        assertEquals("default", rope.type());
        assertEquals(10000 * Math.pow(1000, 8 / 6.0), rope.theta(), 1e-3);
    }
}
