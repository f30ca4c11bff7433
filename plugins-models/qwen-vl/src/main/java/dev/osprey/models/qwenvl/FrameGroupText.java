package dev.osprey.models.qwenvl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.osprey.model.spi.TokenizerFiles;

/**
 * The tokens Qwen3-VL's processor puts for one video: per temporal patch group its timestamp text, tokenized by the
 * model's tokenizer, then {@code <|vision_start|>}, the group's {@code <|video_pad|>} tokens, {@code <|vision_end|>}.
 * The timestamp sits between special tokens in the processor's text, so tokenizing it alone gives the same ids.
 */
final class FrameGroupText {

    private final HuggingFaceTokenizer tokenizer;
    private final int visionStart;
    private final int visionEnd;

    private FrameGroupText(HuggingFaceTokenizer tokenizer, int visionStart, int visionEnd) {
        this.tokenizer = tokenizer;
        this.visionStart = visionStart;
        this.visionEnd = visionEnd;
    }

    /**
     * The model folder's {@code tokenizer.json} and vision start and end tokens. The tokenizer lives as long as the
     * model's processor (one per loaded model).
     *
     * @throws IllegalArgumentException naming the folder when it has no tokenizer or lacks the tokens
     */
    static FrameGroupText forModel(Path folder) {
        Path file = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(
                    folder + ": Qwen3-VL's video timestamps need the model's tokenizer.json, which is missing");
        }
        int start = Math.toIntExact(TokenizerFiles.require(folder, "<|vision_start|>", "Qwen-VL's vision start"));
        int end = Math.toIntExact(TokenizerFiles.require(folder, "<|vision_end|>", "Qwen-VL's vision end"));
        try {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                    file, Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
            return new FrameGroupText(tokenizer, start, end);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the tokenizer: " + e.getMessage(), e);
        }
    }

    /**
     * @param timestamps each group's text ({@link VideoTimestamps#texts})
     * @param groupTokens the {@code <|video_pad|>} tokens of one group: h·w/merge²
     */
    int[] run(String[] timestamps, int groupTokens, long videoTokenId) {
        java.util.List<int[]> groups = new java.util.ArrayList<>();
        int length = 0;
        for (String timestamp : timestamps) {
            long[] text = tokenizer.encode(timestamp, false, false).getIds();
            int[] group = new int[text.length + groupTokens + 2];
            for (int i = 0; i < text.length; i++) {
                group[i] = Math.toIntExact(text[i]);
            }
            group[text.length] = visionStart;
            java.util.Arrays.fill(group, text.length + 1, group.length - 1, Math.toIntExact(videoTokenId));
            group[group.length - 1] = visionEnd;
            groups.add(group);
            length += group.length;
        }
        int[] run = new int[length];
        int at = 0;
        for (int[] group : groups) {
            System.arraycopy(group, 0, run, at, group.length);
            at += group.length;
        }
        return run;
    }
}
