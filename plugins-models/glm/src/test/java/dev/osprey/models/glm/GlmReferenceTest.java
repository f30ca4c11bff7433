package dev.osprey.models.glm;

import org.junit.jupiter.api.Test;

import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens and a LoRA adapter's logits equal those transformers' GlmForCausalLM computed for a
 * tiny checkpoint (tools/make-reference-fixtures.py, case glm: half of each 16-wide head rotates, interleaved).
 */
class GlmReferenceTest {

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "glm", new GlmArchitecture());
    }
}
