package dev.osprey.backend.djl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.GenerationRequest;
import dev.osprey.api.inference.SamplingParams;
import dev.osprey.api.inference.TokenChunk;
import dev.osprey.models.llama.LlamaArchitecture;

/**
 * Aggregate decode throughput and latency of the DJL backend at 1, 4, 8 and 16 concurrent streams, in
 * one run, on a 110M-shaped Llama (hidden 768, 12 layers, 12 heads, intermediate 2048, vocabulary
 * 32000) with random weights; greedy, 64 new tokens per stream, prompts of 16 tokens. What matters is
 * the ratio to one stream, not the absolute numbers. Run:
 * {@code mvn -o -q test -Dtest=ThroughputBenchmark -Dosprey.bench=true} (the switch of every benchmark, docs/benchmarks.md;
 * or its {@link #main}); optional
 * {@code -Dosprey.bench.prompt=N}, {@code -Dosprey.bench.max_tokens=N}, {@code -Dosprey.bench.streams=1,8}.
 */
class ThroughputBenchmark {

    static final int MAX_TOKENS = Integer.getInteger("osprey.bench.max_tokens", 64);
    /** Prompt tokens per stream; longer prompts show what the cache costs per step. */
    static final int PROMPT = Integer.getInteger("osprey.bench.prompt", 16);

    static final int[] LEVELS = Arrays.stream(
                    System.getProperty("osprey.bench.streams", "1,4,8,16").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();

    @Test
    @EnabledIfSystemProperty(named = "osprey.bench", matches = "true")
    void run() throws Exception {
        main(new String[0]);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("osprey-bench");
        try {
            long t0 = System.nanoTime();
            Path model = TinyCheckpoint.model(dir.resolve("model"), 32000, 768, 12, 12, 12, 2048, 2048);
            System.out.printf(
                    "checkpoint written in %.1f s; PyTorch threads: %s%n",
                    (System.nanoTime() - t0) / 1e9, System.getProperty("ai.djl.pytorch.num_threads", "default"));
            try (DjlSession session = DjlSession.open(
                    model,
                    c -> new LlamaArchitecture(),
                    NDManager.newBaseManager(),
                    new BackendOptions("bench", "bench", Map.of(), "cpu", Map.of("max_num_seqs", "16")),
                    List.of())) {
                round(session, 2, 8, new Random(0)); // warm-up: the first passes allocate and pick kernels
                double single = 0;
                System.out.println(
                        "streams  tokens  wall_s  agg_tok/s  x_single  itl_p50_ms  itl_p90_ms  itl_p99_ms  ttft_p50_ms  e2e_p50_s  e2e_p99_s");
                System.out.printf("prompt %d tokens, %d new tokens per stream%n", PROMPT, MAX_TOKENS);
                for (int streams : LEVELS) {
                    Result r = round(session, streams, MAX_TOKENS, new Random(streams));
                    if (streams == 1) {
                        single = r.tokensPerSecond();
                    }
                    System.out.printf(
                            "%7d  %6d  %6.2f  %9.1f  %8.2f  %10.1f  %10.1f  %10.1f  %11.1f  %9.2f  %9.2f%n",
                            streams,
                            r.tokens,
                            r.wallSeconds,
                            r.tokensPerSecond(),
                            r.tokensPerSecond() / single,
                            percentile(r.interToken, 50),
                            percentile(r.interToken, 90),
                            percentile(r.interToken, 99),
                            percentile(r.firstToken, 50),
                            percentile(r.endToEnd, 50) / 1000,
                            percentile(r.endToEnd, 99) / 1000);
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    record Result(
            int tokens, double wallSeconds, List<Double> interToken, List<Double> firstToken, List<Double> endToEnd) {
        double tokensPerSecond() {
            return tokens / wallSeconds;
        }
    }

    /** Sends {@code streams} requests at once and waits for all; times in milliseconds. */
    static Result round(DjlSession session, int streams, int maxTokens, Random random) throws Exception {
        List<Timed> timed = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < streams; i++) {
            Timed t = new Timed(start);
            timed.add(t);
            List<Integer> prompt = Arrays.stream(random.ints(PROMPT, 10, 32000).toArray())
                    .boxed()
                    .toList();
            session.generate(
                    new GenerationRequest("s" + i, "bench", null, null, prompt, SamplingParams.greedy(maxTokens)), t);
        }
        int tokens = 0;
        List<Double> itl = new ArrayList<>();
        List<Double> ttft = new ArrayList<>();
        List<Double> e2e = new ArrayList<>();
        long end = start;
        for (Timed t : timed) {
            t.await(600);
            if (t.error != null) {
                throw new IllegalStateException("a benchmark request failed", t.error);
            }
            tokens += t.completionTokens;
            end = Math.max(end, t.endNanos);
            for (int i = 1; i < t.chunkNanos.size(); i++) {
                itl.add((t.chunkNanos.get(i) - t.chunkNanos.get(i - 1)) / 1e6);
            }
            ttft.add((t.chunkNanos.get(0) - start) / 1e6);
            e2e.add((t.endNanos - start) / 1e6);
        }
        return new Result(tokens, (end - start) / 1e9, itl, ttft, e2e);
    }

    static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    /** A listener that notes when each chunk and the end arrived. */
    static final class Timed extends Collector {
        final long start;
        final List<Long> chunkNanos = Collections.synchronizedList(new ArrayList<>());
        volatile long endNanos;

        Timed(long start) {
            this.start = start;
        }

        @Override
        public synchronized void chunk(TokenChunk chunk) {
            chunkNanos.add(System.nanoTime());
            super.chunk(chunk);
        }

        @Override
        public synchronized void completed(String finishReason, int promptTokens, int completionTokens) {
            endNanos = System.nanoTime();
            super.completed(finishReason, promptTokens, completionTokens);
        }
    }
}
