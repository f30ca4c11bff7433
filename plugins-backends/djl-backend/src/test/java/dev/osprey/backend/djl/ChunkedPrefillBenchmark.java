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
import dev.osprey.models.llama.LlamaArchitecture;

/**
 * What a long prompt arriving does to the streams already running, in one run: {@code STREAMS} streams decode
 * on a 110M-shaped Llama (random weights) while a {@code LONG}-token prompt joins, with the prompt read whole
 * ({@code enable_chunked_prefill=false}) and in chunks of {@code max_num_batched_tokens}; first without any
 * long prompt, as the baseline. Reports the running streams' inter-token latency (p50, p99, the longest gap)
 * and the long prompt's time to first token. Run:
 * {@code mvn -o -q test -Dtest=ChunkedPrefillBenchmark -Dosprey.bench=true}; optional
 * {@code -Dosprey.bench.long=N}, {@code -Dosprey.bench.streams=N}, {@code -Dosprey.bench.chunks=512,256,128}.
 */
class ChunkedPrefillBenchmark {

    static final int LONG = Integer.getInteger("osprey.bench.long", 768);
    static final int STREAMS = Integer.getInteger("osprey.bench.streams", 4);
    static final int MAX_TOKENS = 64;

    @Test
    @EnabledIfSystemProperty(named = "osprey.bench", matches = "true")
    void run() throws Exception {
        main(new String[0]);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("osprey-bench");
        try {
            Path model = TinyCheckpoint.model(dir.resolve("model"), 32000, 768, 12, 12, 12, 2048, 2048);
            System.out.printf(
                    "%d streams (16-token prompts, %d greedy tokens), a %d-token prompt joining after their 8th token%n",
                    STREAMS, MAX_TOKENS, LONG);
            System.out.println("prompt read          itl_p50_ms  itl_p99_ms  itl_max_ms  long_ttft_ms");
            report("no long prompt", measure(model, Map.of(), false));
            report("whole", measure(model, Map.of("enable_chunked_prefill", "false"), true));
            for (String chunk :
                    System.getProperty("osprey.bench.chunks", "512,256,128").split(",")) {
                report("chunks of " + chunk, measure(model, Map.of("max_num_batched_tokens", chunk), true));
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    record Latencies(List<Double> interToken, double longFirstToken) {}

    private static void report(String mode, Latencies l) {
        System.out.printf(
                "%-19s  %10.1f  %10.1f  %10.1f  %12s%n",
                mode,
                ThroughputBenchmark.percentile(l.interToken, 50),
                ThroughputBenchmark.percentile(l.interToken, 99),
                Collections.max(l.interToken),
                Double.isNaN(l.longFirstToken) ? "-" : String.format("%.0f", l.longFirstToken));
    }

    /** Runs the streams in a fresh session with {@code settings}, a long prompt joining when {@code long}. */
    private static Latencies measure(Path model, Map<String, String> settings, boolean withLong) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(settings);
        all.put("max_num_seqs", "16");
        try (DjlSession session = DjlSession.open(
                model,
                c -> new LlamaArchitecture(),
                NDManager.newBaseManager(),
                new BackendOptions("bench", "bench", Map.of(), "cpu", all),
                List.of())) {
            Random random = new Random(0);
            ThroughputBenchmark.round(session, 2, 8, random); // warm-up: the first passes allocate and pick kernels
            long start = System.nanoTime();
            List<ThroughputBenchmark.Timed> streams = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                ThroughputBenchmark.Timed t = new ThroughputBenchmark.Timed(start);
                t.chunkSeen = new java.util.concurrent.CountDownLatch(8);
                streams.add(t);
                session.generate(request("s" + i, random, 16, MAX_TOKENS), t);
            }
            for (ThroughputBenchmark.Timed t : streams) {
                t.chunkSeen.await();
            }
            double longFirstToken = Double.NaN;
            if (withLong) {
                long sent = System.nanoTime();
                ThroughputBenchmark.Timed joining = new ThroughputBenchmark.Timed(sent);
                session.generate(request("long", random, LONG, 8), joining);
                joining.await(600);
                longFirstToken = (joining.chunkNanos.get(0) - sent) / 1e6;
            }
            List<Double> itl = new ArrayList<>();
            for (ThroughputBenchmark.Timed t : streams) {
                t.await(600);
                for (int i = 1; i < t.chunkNanos.size(); i++) {
                    itl.add((t.chunkNanos.get(i) - t.chunkNanos.get(i - 1)) / 1e6);
                }
            }
            return new Latencies(itl, longFirstToken);
        }
    }

    private static GenerationRequest request(String id, Random random, int promptTokens, int maxTokens) {
        List<Integer> prompt = Arrays.stream(
                        random.ints(promptTokens, 10, 32000).toArray())
                .boxed()
                .toList();
        return new GenerationRequest(id, "bench", null, null, prompt, SamplingParams.greedy(maxTokens));
    }
}
