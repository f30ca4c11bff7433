package dev.osprey.eval.impl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;

/**
 * The log-likelihood of continuations of a text, as lm-eval-harness scores multiple-choice answers: the context and
 * the context with each continuation are encoded whole, the continuation's tokens being what the whole adds (so a
 * tokenizer that merges across the boundary is scored on the tokens it really makes), and each continuation's score
 * is the sum of its tokens' log-probabilities. When every continuation is one token, one forward pass over the
 * context scores them all.
 */
final class ContinuationScorer {

    private final LanguageModel model;
    private final PromptEncoder prompts;
    private final NDManager manager;
    private long forwarded;

    ContinuationScorer(LanguageModel model, PromptEncoder prompts, NDManager manager) {
        this.model = model;
        this.prompts = prompts;
        this.manager = manager;
    }

    /** The log-likelihood of each of {@code continuations} after {@code context}, in their order. */
    double[] score(String context, List<String> continuations) {
        int[] contextIds = prompts.encodeText(context);
        List<int[]> added = new ArrayList<>();
        for (String continuation : continuations) {
            int[] whole = prompts.encodeText(context + continuation);
            int[] tail = Arrays.copyOfRange(whole, Math.min(contextIds.length, whole.length), whole.length);
            if (tail.length == 0 || !Arrays.equals(whole, 0, contextIds.length, contextIds, 0, contextIds.length)) {
                throw new IllegalArgumentException("the continuation '" + continuation
                        + "' does not extend the context's tokens; cannot score it");
            }
            added.add(tail);
        }
        double[] scores = new double[continuations.size()];
        if (added.stream().allMatch(t -> t.length == 1)) {
            float[] last = logProbs(contextIds, contextIds.length - 1, 1)[0];
            for (int c = 0; c < scores.length; c++) {
                scores[c] = last[added.get(c)[0]];
            }
            return scores;
        }
        for (int c = 0; c < scores.length; c++) {
            int[] tail = added.get(c);
            int[] ids = Arrays.copyOf(contextIds, contextIds.length + tail.length);
            System.arraycopy(tail, 0, ids, contextIds.length, tail.length);
            // the logits at position t predict token t + 1: the tail is predicted from the context's last position on
            float[][] rows = logProbs(ids, contextIds.length - 1, tail.length);
            for (int t = 0; t < tail.length; t++) {
                scores[c] += rows[t][tail[t]];
            }
        }
        return scores;
    }

    /** The tokens run through the model so far (every position of every forward pass). */
    long tokensForwarded() {
        return forwarded;
    }

    /** Log-softmax rows {@code from .. from + count - 1} of one forward pass over {@code ids}. */
    private float[][] logProbs(int[] ids, int from, int count) {
        forwarded += ids.length;
        try (NDManager pass = manager.newSubManager()) {
            NDArray input =
                    pass.create(Arrays.stream(ids).asLongStream().toArray()).reshape(1, ids.length); // (1, T)
            // rows up to the last one only: the head runs on the last position alone, not on all T
            boolean lastOnly = from + count == ids.length;
            NDArray logits = model.forward(ForwardRequest.builder(input)
                            .optLastPositionOnly(lastOnly && count == 1)
                            .build())
                    .logits(); // (1, T, V), or (1, 1, V) for the last position only
            int first = lastOnly && count == 1 ? 0 : from;
            NDArray rows = logits.get("0, {}:{}, :", first, first + count)
                    .toType(DataType.FLOAT32, false)
                    .logSoftmax(-1); // (count, V)
            long vocab = rows.getShape().get(1);
            float[] flat = rows.toFloatArray();
            float[][] out = new float[count][];
            for (int r = 0; r < count; r++) {
                out[r] = Arrays.copyOfRange(flat, (int) (r * vocab), (int) ((r + 1) * vocab));
            }
            return out;
        }
    }
}
