package dev.osprey.backend.djl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.IntFunction;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.inference.SessionStats;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.KvCache;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.model.decoder.DecoderCache;

/**
 * Continuous batching on one thread, which alone touches the model and the caches. Each iteration:
 * run queued tasks (adapters being loaded or removed), drop cancelled sequences, read prompts up to
 * {@code max_num_batched_tokens} tokens, and run one decode step for every running batch. Prompts are read
 * first come, first served: the next chunk of prompts already being read in chunks, then waiting requests
 * while the limits allow (those of one adapter prefilled together in one left-padded pass, then joined to
 * the running batch of their adapter). With {@code enable_chunked_prefill}, a prompt longer than what is left
 * of the iteration's budget is read in chunks over several iterations ({@link ChunkedPrefill}), so a long
 * prompt arriving delays the running streams by one chunk per step instead of by its whole prefill.
 * Sequences that finish leave the batch before the next step. A failure fails the requests it touched and
 * the loop goes on.
 *
 * <p>Limits: at most {@code max_num_seqs} running sequences, and the worst case of each (prompt +
 * max_tokens) reserved against {@code max_cached_tokens} when it is admitted, so a running sequence
 * never has to be preempted; requests beyond the limits wait in the queue.
 *
 * <p>A model that is not a decoder of the SPI runs every pass with batch 1 ({@link DecodeBatch}): the same
 * scheduling, one prompt and one row's step at a time.
 */
final class Scheduler implements AutoCloseable {

    private final LanguageModel model;
    private final NDManager manager;
    private final int maxNumSeqs;
    private final int maxNumBatchedTokens;
    private final boolean chunkedPrefill;
    private final long maxCachedTokens;
    private final IntFunction<String> tokenText;
    private final Object lock = new Object();
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>(); // guarded by lock
    private final ArrayDeque<FutureTask<?>> tasks = new ArrayDeque<>(); // guarded by lock
    private boolean closing; // guarded by lock
    /** Running batches by adapter ("" for the base model); scheduler thread only. */
    private final Map<String, DecodeBatch> batches = new LinkedHashMap<>();
    /** Admitted prompts being read in chunks, in arrival order; scheduler thread only. */
    private final List<ChunkedPrefill> reading = new ArrayList<>();

    private final Thread thread;
    private volatile SessionStats stats;

    /**
     * @param manager for this scheduler's arrays; the scheduler closes the arrays it makes, not the manager
     * @param tokenText one token's text, for top logprobs
     */
    Scheduler(
            String name,
            LanguageModel model,
            NDManager manager,
            int maxNumSeqs,
            int maxNumBatchedTokens,
            boolean chunkedPrefill,
            long maxCachedTokens,
            IntFunction<String> tokenText) {
        this.model = model;
        this.manager = manager;
        this.maxNumSeqs = maxNumSeqs;
        this.maxNumBatchedTokens = maxNumBatchedTokens;
        this.chunkedPrefill = chunkedPrefill;
        this.maxCachedTokens = maxCachedTokens;
        this.tokenText = tokenText;
        this.stats = new SessionStats(0, 0, 0, maxCachedTokens);
        this.thread = new Thread(this::loop, "osprey-djl-scheduler-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a sequence. @throws IllegalStateException when the scheduler is closed */
    void submit(Sequence sequence) {
        synchronized (lock) {
            if (closing) {
                throw new IllegalStateException("the session is closed");
            }
            waiting.add(sequence);
            stats = new SessionStats(stats.running(), waiting.size(), stats.cachedTokens(), maxCachedTokens);
            lock.notifyAll();
        }
    }

    /** Runs {@code task} on the scheduler thread between two steps and waits for it. */
    <T> T call(Callable<T> task) throws Exception {
        FutureTask<T> future = new FutureTask<>(task);
        synchronized (lock) {
            if (closing) {
                throw new IllegalStateException("the session is closed");
            }
            tasks.add(future);
            lock.notifyAll();
        }
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    SessionStats stats() {
        return stats;
    }

    /** True on the scheduler's own thread (inside a listener). */
    boolean isSchedulerThread() {
        return Thread.currentThread() == thread;
    }

    boolean isAlive() {
        synchronized (lock) {
            return !closing && thread.isAlive();
        }
    }

    /** Cancels every request (finish reason {@code cancelled}), frees the caches and waits for the thread. */
    @Override
    public void close() {
        synchronized (lock) {
            closing = true;
            lock.notifyAll();
        }
        if (Thread.currentThread() == thread) {
            return; // closed from a listener: the loop ends after this iteration
        }
        try {
            thread.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        while (true) {
            List<FutureTask<?>> todo;
            synchronized (lock) {
                while (!closing && tasks.isEmpty() && waiting.isEmpty() && batches.isEmpty() && reading.isEmpty()) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        closing = true;
                    }
                }
                if (closing) {
                    break;
                }
                todo = new ArrayList<>(tasks);
                tasks.clear();
            }
            todo.forEach(FutureTask::run);
            try {
                dropCancelled();
                admit();
                step();
            } catch (Throwable e) { // a bug or the engine failing: the requests in flight fail, the loop goes on
                failAll("the scheduler failed: " + e, e);
            }
            publishStats();
        }
        shutDown();
    }

    private void shutDown() {
        List<Sequence> queued;
        List<FutureTask<?>> pending;
        synchronized (lock) {
            queued = new ArrayList<>(waiting);
            waiting.clear();
            pending = new ArrayList<>(tasks);
            tasks.clear();
        }
        pending.forEach(t -> t.cancel(false));
        queued.forEach(s -> s.complete("cancelled"));
        for (DecodeBatch batch : batches.values()) {
            batch.rows().forEach(s -> s.complete("cancelled"));
            batch.close();
        }
        batches.clear();
        for (ChunkedPrefill p : reading) {
            p.sequence.complete("cancelled");
            p.close();
        }
        reading.clear();
        publishStats();
    }

    private void failAll(String message, Throwable cause) {
        for (DecodeBatch batch : batches.values()) {
            batch.rows().forEach(s -> s.fail(new IllegalStateException(message, cause)));
            batch.close();
        }
        batches.clear();
        for (ChunkedPrefill p : reading) {
            p.sequence.fail(new IllegalStateException(message, cause));
            p.close();
        }
        reading.clear();
    }

    private void dropCancelled() {
        synchronized (lock) {
            for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
                Sequence s = it.next();
                if (s.cancelRequested()) {
                    it.remove();
                    s.complete("cancelled");
                }
            }
        }
        for (DecodeBatch batch : batches.values()) {
            for (Sequence s : batch.rows()) {
                if (s.cancelRequested()) {
                    s.complete("cancelled");
                }
            }
            retainUnfinished(batch);
        }
        batches.values().removeIf(DecodeBatch::isEmpty);
        for (Iterator<ChunkedPrefill> it = reading.iterator(); it.hasNext(); ) {
            ChunkedPrefill p = it.next();
            if (p.sequence.cancelRequested()) {
                p.sequence.complete("cancelled");
                p.close();
                it.remove();
            }
        }
    }

    private void admit() {
        int running = 0;
        long reserved = 0;
        for (DecodeBatch batch : batches.values()) {
            running += batch.rows().size();
            for (Sequence s : batch.rows()) {
                reserved += s.reservedTokens;
            }
        }
        for (ChunkedPrefill p : reading) {
            running++;
            reserved += p.sequence.reservedTokens;
        }
        int prefilled = readChunks();
        Map<String, List<Sequence>> admitted = new LinkedHashMap<>();
        while (prefilled < maxNumBatchedTokens || !chunkedPrefill) {
            Sequence s;
            boolean inChunks;
            synchronized (lock) {
                s = waiting.peek();
                if (s == null || running >= maxNumSeqs || reserved + s.reservedTokens > maxCachedTokens) {
                    break;
                }
                boolean fits = prefilled + s.prompt.length <= maxNumBatchedTokens;
                inChunks = !fits && chunkedPrefill && ChunkedPrefill.applies(model, s);
                if (!fits && !inChunks && prefilled > 0) {
                    break; // read whole next iteration (at least one prompt is always read)
                }
                waiting.poll();
            }
            if (s.cancelRequested()) {
                s.complete("cancelled");
                continue;
            }
            running++;
            reserved += s.reservedTokens;
            if (inChunks) {
                ChunkedPrefill p = new ChunkedPrefill(s, model, manager);
                reading.add(p);
                prefilled += readChunk(p, maxNumBatchedTokens - prefilled);
                continue;
            }
            prefilled += s.prompt.length;
            // a prompt with media is read alone: its tensors are the pass's (items in placeholder order)
            String group = (s.adapter == null ? "" : s.adapter) + (s.media() == null ? "" : "\u0000" + s.requestId);
            admitted.computeIfAbsent(group, k -> new ArrayList<>()).add(s);
        }
        for (Map.Entry<String, List<Sequence>> e : admitted.entrySet()) {
            List<Sequence> group = e.getValue();
            List<KvCache> caches = prefill(group);
            if (caches != null) {
                join(group, caches);
            }
        }
    }

    /** The next chunk of each prompt being read in chunks, in arrival order, within the iteration's budget. */
    private int readChunks() {
        int prefilled = 0;
        for (ChunkedPrefill p : List.copyOf(reading)) {
            if (prefilled >= maxNumBatchedTokens) {
                break;
            }
            prefilled += readChunk(p, maxNumBatchedTokens - prefilled);
        }
        return prefilled;
    }

    /**
     * Reads up to {@code budget} more tokens of {@code p}'s prompt; once it is read, streams the first token
     * and joins the sequence to its batch.
     *
     * @return the prompt tokens read
     */
    private int readChunk(ChunkedPrefill p, int budget) {
        int tokens = Math.min(budget, p.remaining());
        NDArray logits;
        try {
            logits = p.read(tokens);
        } catch (RuntimeException e) {
            reading.remove(p);
            p.close();
            failPrefill(List.of(p.sequence), e);
            return tokens;
        }
        if (logits != null) {
            reading.remove(p);
            List<Sequence> group = List.of(p.sequence);
            emitFirst(group, logits);
            if (p.sequence.isDone()) {
                p.close();
            } else {
                join(group, List.of(p.takeCache()));
            }
        }
        return tokens;
    }

    /** Joins prefilled sequences (those not already done) with their caches to the running batch of their adapter. */
    private void join(List<Sequence> group, List<KvCache> caches) {
        List<Sequence> joining = group.stream().filter(s -> !s.isDone()).toList();
        String key = group.get(0).adapter == null ? "" : group.get(0).adapter;
        DecodeBatch batch = batches.computeIfAbsent(key, k -> new DecodeBatch(model, manager, k.isEmpty() ? null : k));
        try {
            batch.join(joining, caches);
        } catch (RuntimeException ex) {
            joining.forEach(s -> s.fail(new IllegalStateException(
                    "could not add request " + s.requestId + " to the running batch: " + ex, ex)));
            caches.forEach(KvCache::close);
            if (batch.isEmpty()) {
                batches.remove(key);
            }
        }
    }

    /**
     * Reads the prompts of sequences that share an adapter in one pass (left-padded, masked) and streams
     * each one's first token.
     *
     * @return the caches of the sequences still running, in order (a decoder's: one for them all), or null when
     *     none is
     */
    private List<KvCache> prefill(List<Sequence> group) {
        try {
            return prefillGroup(group);
        } finally {
            group.forEach(Sequence::releaseMedia);
        }
    }

    private List<KvCache> prefillGroup(List<Sequence> group) {
        if (!DecodeBatch.batches(model)) {
            return prefillEach(group);
        }
        int b = group.size();
        int longest = group.stream().mapToInt(s -> s.prompt.length).max().orElseThrow();
        DecoderCache cache = (DecoderCache) model.newCache(b);
        NDArray logits;
        try {
            long[] ids = new long[b * longest];
            long[] mask = new long[b * longest];
            for (int r = 0; r < b; r++) {
                int[] prompt = group.get(r).prompt;
                int offset = r * longest + longest - prompt.length; // left padding
                for (int i = 0; i < prompt.length; i++) {
                    ids[offset + i] = prompt[i];
                    mask[offset + i] = 1;
                }
            }
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray input = manager.create(ids, new Shape(b, longest)); // (B, P)
                NDArray attention = manager.create(mask, new Shape(b, longest)); // (B, P)
                NDArray out = model.forward(ForwardRequest.builder(input)
                                .optAttentionMask(attention)
                                .optCache(cache)
                                .optLastPositionOnly(true)
                                .optAdapter(group.get(0).adapter)
                                .optMedia(b == 1 ? group.get(0).media() : null)
                                .build())
                        .logits(); // (B, 1, V)
                logits = out.reshape(b, out.getShape().get(2)); // (B, V)
                NDScope.unregister(logits);
                out.close();
            }
        } catch (RuntimeException e) {
            cache.close();
            failPrefill(group, e);
            return null;
        }
        emitFirst(group, logits);
        List<Long> kept = new ArrayList<>();
        int keptLongest = 0;
        for (int r = 0; r < b; r++) {
            if (!group.get(r).isDone()) {
                kept.add((long) r);
                keptLongest = Math.max(keptLongest, group.get(r).prompt.length);
            }
        }
        if (kept.size() == b) {
            return List.of(cache);
        }
        try {
            return kept.isEmpty()
                    ? null
                    : List.of(cache.selectRows(
                            kept.stream().mapToLong(Long::longValue).toArray(), longest - keptLongest));
        } finally {
            cache.close();
        }
    }

    /** Any other model: each prompt read alone into a cache of its own (batch 1). */
    private List<KvCache> prefillEach(List<Sequence> group) {
        List<KvCache> caches = new ArrayList<>();
        NDArray logits;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList firsts = new NDList();
            for (Sequence s : group) {
                KvCache cache = model.newCache(1);
                caches.add(cache);
                long[] ids = Arrays.stream(s.prompt).asLongStream().toArray();
                NDArray out = model.forward(ForwardRequest.builder(manager.create(ids, new Shape(1, ids.length)))
                                .optCache(cache)
                                .optLastPositionOnly(true)
                                .optAdapter(s.adapter)
                                .optMedia(s.media())
                                .build())
                        .logits(); // (1, 1, V)
                NDScope.register(out); // handed over outside any scope: freed with this pass's arrays
                firsts.add(out.reshape(1, out.getShape().get(2))); // (1, V)
            }
            logits = NDArrays.concat(firsts, 0); // (B, V)
            NDScope.unregister(logits);
        } catch (RuntimeException e) {
            caches.forEach(KvCache::close);
            failPrefill(group, e);
            return null;
        }
        emitFirst(group, logits);
        List<KvCache> running = new ArrayList<>();
        for (int r = 0; r < group.size(); r++) {
            if (group.get(r).isDone()) {
                caches.get(r).close();
            } else {
                running.add(caches.get(r));
            }
        }
        return running.isEmpty() ? null : running;
    }

    private static void failPrefill(List<Sequence> group, RuntimeException e) {
        String which = group.size() == 1
                ? "the prompt of request " + group.get(0).requestId
                : "the prompts of requests "
                        + group.stream().map(s -> s.requestId).toList();
        group.forEach(s -> s.fail(new IllegalStateException("reading " + which + " failed: " + e, e)));
    }

    /** Streams each prefilled sequence's first token from {@code logits} (B, V), which it closes. */
    private void emitFirst(List<Sequence> group, NDArray logits) {
        int b = group.size();
        try {
            for (Sequence s : group) {
                try {
                    s.listener.started(s.prompt.length);
                } catch (RuntimeException e) {
                    s.fail(e); // a listener that throws cancels its request
                }
            }
            String[] finish = emit(group, logits);
            for (int r = 0; r < b; r++) {
                if (finish[r] != null) {
                    group.get(r).complete(finish[r]);
                }
            }
        } finally {
            logits.close();
        }
    }

    private void step() {
        for (Iterator<DecodeBatch> it = batches.values().iterator(); it.hasNext(); ) {
            DecodeBatch batch = it.next();
            NDArray logits;
            try {
                logits = batch.step();
            } catch (RuntimeException e) {
                String which = batch.adapter == null ? "the base model" : "adapter " + batch.adapter;
                batch.rows()
                        .forEach(s ->
                                s.fail(new IllegalStateException("a decode step of " + which + " failed: " + e, e)));
                batch.close();
                it.remove();
                continue;
            }
            try {
                String[] finish = emit(batch.rows(), logits);
                for (int i = 0; i < finish.length; i++) {
                    if (finish[i] != null) {
                        batch.rows().get(i).complete(finish[i]);
                    }
                }
            } finally {
                logits.close();
            }
            retainUnfinished(batch);
            if (batch.isEmpty()) {
                it.remove();
            }
        }
    }

    private static void retainUnfinished(DecodeBatch batch) {
        batch.retain(s -> !s.isDone());
    }

    /**
     * Picks each row's next token and streams it.
     *
     * @param logits (B, V) next-token logits
     * @return per row, the finish reason when it ended, else null
     */
    private String[] emit(List<Sequence> rows, NDArray logits) {
        int b = rows.size();
        int vocab = Math.toIntExact(logits.getShape().get(1));
        float[] all = logits.toFloatArray();
        float[] logprobs = null;
        float[] topValues = null;
        long[] topIds = null;
        int topK = 0;
        boolean wanted = false;
        for (Sequence s : rows) {
            wanted |= s.sampling.logprobs() || s.sampling.topLogprobs() > 0;
            topK = Math.max(topK, s.sampling.topLogprobs());
        }
        if (wanted) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray logSoftmax =
                        logits.logSoftmax(-1); // (B, V): the model's own distribution, before any processing
                logprobs = logSoftmax.toFloatArray();
                if (topK > 0) {
                    NDList top =
                            logSoftmax.topK(Math.min(topK, vocab), -1, true, true); // values (B, k), indices (B, k)
                    topValues = top.get(0).toFloatArray();
                    topIds = top.get(1).toLongArray();
                }
            }
        }
        String[] finish = new String[b];
        for (int i = 0; i < b; i++) {
            Sequence s = rows.get(i);
            if (s.isDone()) {
                continue;
            }
            try {
                int token = s.choose(Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab));
                double logprob = s.sampling.logprobs() ? logprobs[i * vocab + token] : Double.NaN;
                Map<String, Double> top = null;
                if (s.sampling.topLogprobs() > 0) {
                    top = new LinkedHashMap<>();
                    int k = Math.min(topK, vocab);
                    for (int j = 0; j < Math.min(s.sampling.topLogprobs(), k); j++) {
                        top.putIfAbsent(tokenText.apply((int) topIds[i * k + j]), (double) topValues[i * k + j]);
                    }
                }
                finish[i] = s.accept(token, logprob, top);
            } catch (RuntimeException e) {
                s.fail(e); // most likely the listener threw, which cancels its request
            }
        }
        return finish;
    }

    private void publishStats() {
        int running = 0;
        long cached = 0;
        for (DecodeBatch batch : batches.values()) {
            for (Sequence s : batch.rows()) {
                running++;
                cached += s.length() - 1; // the last token enters the cache with the next step
            }
        }
        for (ChunkedPrefill p : reading) {
            running++;
            cached += p.sequence.prompt.length - p.remaining();
        }
        int queued;
        synchronized (lock) {
            queued = waiting.size();
        }
        stats = new SessionStats(running, queued, cached, maxCachedTokens);
    }
}
