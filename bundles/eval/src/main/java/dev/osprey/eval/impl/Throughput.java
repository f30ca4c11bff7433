package dev.osprey.eval.impl;

import java.util.Locale;

/**
 * How fast an evaluation went, said at its end: samples and tokens per second of the time spent answering (model
 * loading and file reading excluded). Tokens are those the model ran through: every position of the forward
 * passes for log-likelihood scoring, the generated tokens for generation.
 */
final class Throughput {

    private final long start = System.nanoTime();
    private long samples;
    private long tokens;

    void add(long samples, long tokens) {
        this.samples += samples;
        this.tokens += tokens;
    }

    /** E.g. {@code eval throughput: 40 samples in 12.3 s, 3.25 samples/s, 5120 forwarded tokens/s}. */
    String summary(String tokenKind) {
        double seconds = (System.nanoTime() - start) / 1e9;
        return String.format(
                Locale.ROOT,
                "eval throughput: %d samples in %.1f s, %.2f samples/s, %.1f %s tokens/s",
                samples,
                seconds,
                samples / seconds,
                tokens / seconds,
                tokenKind);
    }
}
