package dev.osprey.openai.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.inference.GenerationHandle;
import dev.osprey.api.inference.GenerationListener;
import dev.osprey.api.inference.GenerationRequest;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.inference.InvalidRequestException;
import dev.osprey.api.inference.SamplingParams;
import dev.osprey.api.inference.ServedModel;
import dev.osprey.api.inference.SessionStats;
import dev.osprey.api.inference.TokenChunk;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.decoder.DecoderSpec;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.model.nn.Rope;

/**
 * A small real session for the protocol tests: a random 2-layer decoder run by {@link Generator} on
 * one worker thread (so a second request waits), a character tokenizer (one id per character of
 * {@link #ALPHABET}), chats rendered as {@code role:text\n} lines. Real tokens, timing and cancellation;
 * no chat template, no log probabilities.
 */
final class TinySession implements InferenceSession {

    /** Id 0 is unused padding, id 1 is EOS; the rest are characters. */
    static final String ALPHABET = "\0\1 abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:\n";

    static final int CONTEXT = 64;

    private final String name;
    private final NDManager manager;
    private final DecoderModel model;
    private final ExecutorService worker = Executors.newSingleThreadExecutor();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile boolean closed;

    private final long tokenDelayMillis;

    /** @param tokenDelayMillis a pause after each token, to keep requests in flight like a slower device would */
    TinySession(String name, long seed, long tokenDelayMillis) {
        this.name = name;
        this.tokenDelayMillis = tokenDelayMillis;
        this.manager = NDManager.newBaseManager();
        DecoderSpec spec = new DecoderSpec(
                ALPHABET.length(),
                32,
                48,
                2,
                4,
                2,
                8,
                1e-6,
                Rope.plain(10000, 8, 128),
                false,
                false,
                false,
                false,
                0f,
                1.0,
                "silu",
                0,
                false,
                0.2,
                false,
                null);
        this.model = new DecoderModel(null, spec, manager, DataType.FLOAT32, seed);
    }

    @Override
    public List<ServedModel> models() {
        return List.of(new ServedModel(name, "", CONTEXT));
    }

    @Override
    public GenerationHandle generate(GenerationRequest request, GenerationListener listener) {
        if (!request.model().equals(name)) {
            throw new InvalidRequestException("unknown model " + request.model(), "model");
        }
        List<Integer> prompt = request.promptTokenIds() != null
                ? request.promptTokenIds()
                : tokenize(name, request.prompt(), request.conversation());
        if (prompt.size() >= CONTEXT) {
            throw new InvalidRequestException(
                    "This model's maximum context length is " + CONTEXT + " tokens; the prompt has " + prompt.size()
                            + " tokens",
                    request.conversation() != null ? "messages" : "prompt");
        }
        AtomicBoolean cancelled = new AtomicBoolean();
        AtomicBoolean done = new AtomicBoolean();
        waiting.incrementAndGet();
        worker.submit(() -> {
            waiting.decrementAndGet();
            running.incrementAndGet();
            try {
                run(request.sampling(), prompt, listener, cancelled);
            } catch (RuntimeException | Error e) {
                listener.failed(e); // never lose a request silently in the executor
            } finally {
                running.decrementAndGet();
                done.set(true);
            }
        });
        return new GenerationHandle() {
            @Override
            public void cancel() {
                cancelled.set(true);
            }

            @Override
            public boolean isDone() {
                return done.get();
            }
        };
    }

    private void run(SamplingParams s, List<Integer> prompt, GenerationListener listener, AtomicBoolean cancelled) {
        if (cancelled.get()) {
            listener.completed("cancelled", prompt.size(), 0);
            return;
        }
        listener.started(prompt.size());
        int max = s.maxTokens() < 0 ? CONTEXT - prompt.size() : Math.min(s.maxTokens(), CONTEXT - prompt.size());
        boolean sample = s.temperature() > 0;
        GenerationOptions options = new GenerationOptions(
                max,
                sample,
                sample ? s.temperature() : 1.0,
                Math.max(0, s.topK()),
                s.topP(),
                s.minP(),
                s.repetitionPenalty(),
                s.presencePenalty(),
                s.frequencyPenalty(),
                s.seed() < 0 ? System.nanoTime() : s.seed(),
                Set.of(1),
                Set.copyOf(s.stopTokenIds()),
                s.stop());
        int holdBack = s.stop().stream().mapToInt(String::length).max().orElse(0);
        StringBuilder text = new StringBuilder();
        int[] sent = {0};
        int[] count = {0};
        try {
            Generator.Result result = Generator.generate(
                            model,
                            List.of(prompt.stream().mapToInt(Integer::intValue).toArray()),
                            options,
                            null,
                            this::decode,
                            (row, token) -> {
                                if (cancelled.get() || closed) {
                                    throw new CancellationException();
                                }
                                count[0]++;
                                pause();
                                text.append(decode(new int[] {token}));
                                // hold back what could still become a stop string
                                int upTo = Math.max(sent[0], text.length() - holdBack);
                                listener.chunk(new TokenChunk(
                                        text.substring(sent[0], upTo), List.of(token), List.of(), List.of()));
                                sent[0] = upTo;
                            })
                    .get(0);
            String finalText = result.text();
            if (finalText.length() > sent[0]) {
                listener.chunk(new TokenChunk(finalText.substring(sent[0]), List.of(), List.of(), List.of()));
            }
            listener.completed(result.finishReason(), prompt.size(), result.tokens().length);
        } catch (CancellationException e) {
            listener.completed("cancelled", prompt.size(), count[0]);
        }
    }

    private void pause() {
        if (tokenDelayMillis > 0) {
            try {
                Thread.sleep(tokenDelayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CancellationException();
            }
        }
    }

    @Override
    public List<Integer> tokenize(String model, String text, Conversation conversation) {
        String s = text;
        if (conversation != null) {
            StringBuilder b = new StringBuilder();
            for (ChatMessage m : conversation.messages()) {
                b.append(m.role()).append(':').append(m.text()).append('\n');
            }
            s = b.append("assistant:").toString();
        }
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < s.length(); i++) {
            int id = ALPHABET.indexOf(s.charAt(i));
            if (id < 2) {
                throw new InvalidRequestException(
                        "character '" + s.charAt(i) + "' is not in the tiny vocabulary",
                        conversation != null ? "messages" : "prompt");
            }
            ids.add(id);
        }
        return ids;
    }

    @Override
    public String detokenize(String model, List<Integer> tokenIds) {
        return decode(tokenIds.stream().mapToInt(Integer::intValue).toArray());
    }

    private String decode(int[] ids) {
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            if (id >= 2 && id < ALPHABET.length()) {
                b.append(ALPHABET.charAt(id));
            }
        }
        return b.toString();
    }

    @Override
    public Optional<SessionStats> stats() {
        return Optional.of(new SessionStats(running.get(), waiting.get(), 0, 0));
    }

    @Override
    public boolean healthy() {
        return !closed;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        worker.shutdown();
        try {
            worker.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        manager.close();
    }
}
