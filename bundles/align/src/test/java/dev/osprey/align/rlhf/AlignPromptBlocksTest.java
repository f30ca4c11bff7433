package dev.osprey.align.rlhf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** A GRPO completion after a prefix-LM prompt (PaliGemma's) is read causally; after a causal prompt, as before. */
class AlignPromptBlocksTest {

    @Test
    void theCompletionFollowsThePromptsPrefixCausally() {
        AlignData.Prompt prefixLm = new AlignData.Prompt(
                new int[] {5, 6, 7}, List.of(), Map.of(), "rows.jsonl:1", null, Set.of(), new int[] {0, 0, 0});
        assertArrayEquals(new int[] {0, 0, 0, -1, -1}, prefixLm.attentionBlocksWith(2));
        AlignData.Prompt causal = new AlignData.Prompt(new int[] {5, 6, 7}, List.of(), Map.of(), "rows.jsonl:2");
        assertNull(causal.attentionBlocksWith(2));
    }
}
