package dev.osprey.api.inference;

import java.util.List;

/**
 * The head's logits for each input, in the request's order, the labels' names and the tokens read.
 *
 * @param logits (N) per input: class logits, or a reward model's score (N = 1)
 * @param labels the name of each of the N labels ({@code id2label})
 * @param promptTokens every input token the model read
 * @since 1.2
 */
public record ClassificationResult(List<float[]> logits, List<String> labels, int promptTokens) {

    public ClassificationResult {
        logits = List.copyOf(logits);
        labels = List.copyOf(labels);
    }
}
