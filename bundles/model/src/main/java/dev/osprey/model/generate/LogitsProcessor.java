package dev.osprey.model.generate;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Map;
import java.util.Random;

/**
 * Turns one row of next-token logits into a token, as Hugging Face's logits processors and warpers do,
 * in their order: repetition penalty, presence and frequency penalties, temperature, top-k, top-p,
 * min-p, then argmax or a draw. Works on the row in place; penalties touch only tokens already seen.
 */
public final class LogitsProcessor {

    private LogitsProcessor() {}

    /**
     * @param logits (V) next-token logits, modified in place
     * @param context every token of the sequence so far (prompt and generated), for the repetition penalty
     * @param generatedCounts how often each generated token occurred, for presence and frequency penalties
     */
    public static int next(
            float[] logits, int[] context, Map<Integer, Integer> generatedCounts, GenerationOptions o, Random random) {
        if (o.repetitionPenalty() != 1.0) {
            BitSet seen = new BitSet(logits.length);
            for (int id : context) {
                if (!seen.get(id)) { // once per distinct token, however often it occurs
                    seen.set(id);
                    float l = logits[id];
                    logits[id] = (float) (l > 0 ? l / o.repetitionPenalty() : l * o.repetitionPenalty());
                }
            }
        }
        for (Map.Entry<Integer, Integer> e : generatedCounts.entrySet()) {
            logits[e.getKey()] -= (float) (o.presencePenalty() + o.frequencyPenalty() * e.getValue());
        }
        if (!o.doSample()) {
            return argmax(logits);
        }
        double[] probs = softmax(logits, o.temperature());
        int[] order = byProbabilityDescending(probs);
        int keep = order.length;
        if (o.topK() > 0) {
            keep = Math.min(keep, o.topK());
        }
        if (o.topP() < 1) {
            double cumulative = 0;
            for (int i = 0; i < keep; i++) {
                cumulative += probs[order[i]];
                if (cumulative >= o.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        if (o.minP() > 0) {
            double threshold = o.minP() * probs[order[0]];
            int i = 1;
            while (i < keep && probs[order[i]] >= threshold) {
                i++;
            }
            keep = i;
        }
        double total = 0;
        for (int i = 0; i < keep; i++) {
            total += probs[order[i]];
        }
        double draw = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            draw -= probs[order[i]];
            if (draw <= 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    static double[] softmax(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l / temperature);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] / temperature - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Token ids by falling probability; ties by id, so the order is deterministic. */
    static int[] byProbabilityDescending(double[] probs) {
        long[] keyed = new long[probs.length];
        for (int i = 0; i < probs.length; i++) {
            // probabilities are non-negative, so their float bits sort like the values
            keyed[i] = ((long) Float.floatToIntBits((float) probs[i]) << 32) | (0xFFFFFFFFL & ~i);
        }
        Arrays.sort(keyed);
        int[] order = new int[probs.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = ~(int) keyed[keyed.length - 1 - i];
        }
        return order;
    }
}
