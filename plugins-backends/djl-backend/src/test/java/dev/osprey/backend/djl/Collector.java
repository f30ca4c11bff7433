package dev.osprey.backend.djl;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.osprey.api.inference.GenerationListener;
import dev.osprey.api.inference.TokenChunk;

/** Records what a generation told its listener, checking the order the API promises. */
class Collector implements GenerationListener {

    final List<TokenChunk> chunks = new ArrayList<>();
    final CountDownLatch done = new CountDownLatch(1);
    final List<String> problems = new ArrayList<>();
    volatile int started = -1;
    volatile String finishReason;
    volatile int promptTokens = -1;
    volatile int completionTokens = -1;
    volatile Throwable error;
    /** Counts down at each chunk, for tests that act mid-generation. */
    volatile CountDownLatch chunkSeen = new CountDownLatch(1);

    @Override
    public synchronized void started(int promptTokens) {
        if (started >= 0 || !chunks.isEmpty()) {
            problems.add("started twice or after a chunk");
        }
        started = promptTokens;
    }

    @Override
    public synchronized void chunk(TokenChunk chunk) {
        if (started < 0 || done.getCount() == 0) {
            problems.add("chunk before started or after the end");
        }
        chunks.add(chunk);
        chunkSeen.countDown();
    }

    @Override
    public synchronized void completed(String finishReason, int promptTokens, int completionTokens) {
        if (done.getCount() == 0) {
            problems.add("ended twice");
        }
        this.finishReason = finishReason;
        this.promptTokens = promptTokens;
        this.completionTokens = completionTokens;
        done.countDown();
    }

    @Override
    public synchronized void failed(Throwable error) {
        if (done.getCount() == 0) {
            problems.add("ended twice");
        }
        this.error = error;
        done.countDown();
    }

    Collector await() throws InterruptedException {
        return await(60);
    }

    Collector await(long seconds) throws InterruptedException {
        if (!done.await(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("the generation did not end within " + seconds + " s");
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("listener contract broken: " + problems);
        }
        return this;
    }

    synchronized int[] tokens() {
        return chunks.stream()
                .flatMap(c -> c.tokenIds().stream())
                .mapToInt(Integer::intValue)
                .toArray();
    }

    synchronized String text() {
        StringBuilder sb = new StringBuilder();
        chunks.forEach(c -> sb.append(c.text()));
        return sb.toString();
    }

    synchronized int chunkCount() {
        return chunks.size();
    }
}
