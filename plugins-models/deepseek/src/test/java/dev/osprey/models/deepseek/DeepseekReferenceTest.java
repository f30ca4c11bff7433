package dev.osprey.models.deepseek;

import org.junit.jupiter.api.Test;

import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens (batched and cached one row at a time) and a PEFT LoRA adapter equal those
 * Hugging Face transformers computed for tiny DeepSeek checkpoints (written by tools/make-reference-fixtures.py;
 * src/test/resources/reference).
 */
class DeepseekReferenceTest {

    /** q_a/q_b bottleneck, YaRN with mscale ≠ mscale_all_dim, a dense layer then sigmoid group routing. */
    @Test
    void v3MatchesTransformers() throws Exception {
        HfReference.check(getClass(), "deepseek-v3", new DeepseekV3Architecture());
    }

    /** q_lora_rank null (one q_proj), greedy softmax routing with two shared experts, default RoPE. */
    @Test
    void v2MatchesTransformers() throws Exception {
        HfReference.check(getClass(), "deepseek-v2", new DeepseekV2Architecture());
    }

    /** group_limited_greedy routing in every layer, v_head_dim equal to the query head's nope part. */
    @Test
    void v2GroupLimitedRoutingMatchesTransformers() throws Exception {
        HfReference.check(getClass(), "deepseek-v2-group", new DeepseekV2Architecture());
    }
}
