package dev.osprey.models.qwenvl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.osprey.model.spi.TokenizerFiles;

/**
 * The tokens Qwen3-VL's processor puts for one video: per temporal patch group its timestamp text, tokenized by the
 * model's tokenizer, then {@code <|vision_start|>}, the group's {@code <|video_pad|>} tokens, {@code <|vision_end|>}.
 * The timestamp sits between special tokens in the processor's text, so tokenizing it alone gives the same ids.
 */
final class FrameGroupText {

    private final Path tokenizerFile;
    private final int visionStart;
    private final int visionEnd;

    private FrameGroupText(Path tokenizerFile, int visionStart, int visionEnd) {
        this.tokenizerFile = tokenizerFile;
        this.visionStart = visionStart;
        this.visionEnd = visionEnd;
    }

    /**
     * The model folder's {@code tokenizer.json} and vision start and end tokens.
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
        return new FrameGroupText(file, start, end);
    }

    /**
     * @param timestamps each group's text ({@link VideoTimestamps#texts})
     * @param groupTokens the {@code <|video_pad|>} tokens of one group: h·w/merge²
     */
    int[] run(String[] timestamps, int groupTokens, long videoTokenId) {
        List<int[]> groups = new ArrayList<>();
        int length = 0;
        // opened for each video and closed at once: the processor, which lives as long as its model, has no close
        // of its own to free the tokenizer's native memory, and reading tokenizer.json is cheap beside decoding a video
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                tokenizerFile, Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            for (String timestamp : timestamps) {
                long[] text = tokenizer.encode(timestamp, false, false).getIds();
                int[] group = new int[text.length + groupTokens + 2];
                for (int i = 0; i < text.length; i++) {
                    group[i] = Math.toIntExact(text[i]);
                }
                group[text.length] = visionStart;
                Arrays.fill(group, text.length + 1, group.length - 1, Math.toIntExact(videoTokenId));
                group[group.length - 1] = visionEnd;
                groups.add(group);
                length += group.length;
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(tokenizerFile + ": cannot read the tokenizer: " + e.getMessage(), e);
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
