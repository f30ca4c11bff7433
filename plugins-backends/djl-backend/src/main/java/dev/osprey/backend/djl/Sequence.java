package dev.osprey.backend.djl;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.inference.GenerationHandle;
import dev.osprey.api.inference.GenerationListener;
import dev.osprey.api.inference.SamplingParams;
import dev.osprey.api.inference.TokenChunk;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.LogitsProcessor;

/**
 * One request's generation: its prompt, how it samples, what it generated, its text stream and its
 * listener. Only the scheduler thread changes it, except {@link #cancel()}.
 */
final class Sequence implements GenerationHandle {

    final String requestId;
    /** The adapter the request uses, or null for the base model. */
    final String adapter;

    final int[] prompt;
    final int maxTokens;
    final SamplingParams sampling;
    final GenerationOptions options;
    final GenerationListener listener;
    /** Tokens this sequence may hold in the cache: prompt + max_tokens, reserved when admitted. */
    final long reservedTokens;
    /** Told once the sequence ended, however it ended (adapter bookkeeping). */
    final Runnable onEnd;

    /** The prompt's media for the prefill, or null; freed with their manager once read or when the sequence ends. */
    private volatile MediaTensors media;

    private NDManager mediaManager; // guarded by this

    private final TextStream text;
    /** Ends the thinking when its budget runs out; null for none. */
    private final ThinkingBudget thinkingBudget;

    private final Random random;
    private final Map<Integer, Integer> counts = new HashMap<>();
    private int[] tokens;
    private int generated;
    private volatile boolean cancelled;
    private volatile boolean done;

    Sequence(
            String requestId,
            String adapter,
            int[] prompt,
            int maxTokens,
            SamplingParams sampling,
            GenerationOptions options,
            TextStream text,
            GenerationListener listener,
            Runnable onEnd,
            ThinkingBudget thinkingBudget) {
        this.requestId = requestId;
        this.adapter = adapter;
        this.prompt = prompt;
        this.maxTokens = maxTokens;
        this.sampling = sampling;
        this.options = options;
        this.text = text;
        this.listener = listener;
        this.onEnd = onEnd;
        this.thinkingBudget = thinkingBudget;
        this.random = new Random(options.seed());
        this.reservedTokens = (long) prompt.length + maxTokens;
        this.tokens = Arrays.copyOf(prompt, prompt.length + Math.min(maxTokens, 256));
    }

    /** Gives the prefill the prompt's media, held in {@code owner} (which this sequence closes). */
    synchronized void attachMedia(MediaTensors tensors, NDManager owner) {
        this.media = tensors;
        this.mediaManager = owner;
    }

    /** The prompt's media, or null. */
    MediaTensors media() {
        return media;
    }

    /** Frees the media once the prompt is read (or the sequence ended without being read). */
    synchronized void releaseMedia() {
        media = null;
        if (mediaManager != null) {
            mediaManager.close();
            mediaManager = null;
        }
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    boolean cancelRequested() {
        return cancelled;
    }

    @Override
    public boolean isDone() {
        return done;
    }

    /** Prompt and generated tokens: what the cache holds once the last token was fed back. */
    int length() {
        return prompt.length + generated;
    }

    int lastToken() {
        return tokens[prompt.length + generated - 1];
    }

    /** Picks the next token from this row's logits (modified in place) with the request's processors. */
    int choose(float[] logits) {
        if (thinkingBudget != null) {
            int forced = thinkingBudget.forced(Arrays.copyOfRange(tokens, prompt.length, prompt.length + generated));
            if (forced >= 0) {
                return forced;
            }
        }
        return LogitsProcessor.next(logits, Arrays.copyOf(tokens, prompt.length + generated), counts, options, random);
    }

    /**
     * Records a chosen token and streams it.
     *
     * @param logprob its log probability, or NaN when not asked for
     * @param top the alternatives, or null
     * @return the finish reason when the sequence ends with this token, else null
     */
    String accept(int token, double logprob, Map<String, Double> top) {
        if (prompt.length + generated == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[prompt.length + generated++] = token;
        counts.merge(token, 1, Integer::sum);
        String finish =
                options.eosTokenIds().contains(token) || options.stopTokenIds().contains(token)
                        ? "stop"
                        : generated >= maxTokens ? "length" : null;
        TextStream.Piece piece = text.add(token, finish != null);
        if (piece.stopped()) {
            finish = "stop";
        }
        List<Double> logprobs = Double.isNaN(logprob) ? List.of() : List.of(logprob);
        List<Map<String, Double>> tops = top == null ? List.of() : List.of(top);
        listener.chunk(new TokenChunk(piece.text(), List.of(token), logprobs, tops));
        return finish;
    }

    /** Tells the listener the sequence ended; the listener's own failure is swallowed, the request being over. */
    void complete(String finishReason) {
        if (done) {
            return;
        }
        done = true;
        try {
            listener.completed(finishReason, prompt.length, generated);
        } catch (RuntimeException e) {
            // the listener's problem; nothing is left to tell it
        } finally {
            releaseMedia();
            onEnd.run();
        }
    }

    void fail(Throwable error) {
        if (done) {
            return;
        }
        done = true;
        try {
            listener.failed(error);
        } catch (RuntimeException e) {
            // as in complete()
        } finally {
            releaseMedia();
            onEnd.run();
        }
    }
}
