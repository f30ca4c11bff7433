package dev.osprey.devtools.impl;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's own profiler around a piece of work, for {@code osprey benchmark --profile}: writes its Chrome trace
 * (chrome://tracing, Perfetto) and sums the top-level operators, so what a decoded token spends in each kind of
 * operator, and how many operators it calls, can be read without a trace viewer.
 */
final class OpProfile {

    /** One operator's totals over the profiled work. */
    record OpTotal(String name, long calls, double micros) {}

    private OpProfile() {}

    /** Runs {@code work} under the profiler (shapes recorded) and writes the trace to {@code trace}. */
    static void record(Runnable work, Path trace) {
        JniUtils.startProfile(false, true, false);
        try {
            work.run();
        } finally {
            JniUtils.stopProfile(trace.toAbsolutePath().toString());
        }
    }

    /**
     * The trace's operators that no other operator encloses on their thread (so a product's inner calls are not
     * counted twice), summed by name, the longest first.
     */
    static List<OpTotal> topLevel(Path trace) throws IOException {
        JsonNode root = new ObjectMapper().readTree(trace.toFile());
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        Map<String, List<long[]>> byThread = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (JsonNode e : events) {
            if (!"X".equals(e.path("ph").asText()) || !e.has("dur")) {
                continue;
            }
            names.add(e.path("name").asText());
            long start = Math.round(e.path("ts").asDouble() * 1000);
            long end = start + Math.round(e.path("dur").asDouble() * 1000);
            byThread.computeIfAbsent(e.path("tid").asText(), t -> new ArrayList<>())
                    .add(new long[] {start, end, names.size() - 1});
        }
        Map<String, long[]> calls = new HashMap<>();
        Map<String, Double> micros = new HashMap<>();
        for (List<long[]> spans : byThread.values()) {
            spans.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(b[1], a[1]));
            long openUntil = Long.MIN_VALUE;
            for (long[] s : spans) {
                if (s[0] < openUntil) {
                    continue; // inside the operator that started before it
                }
                openUntil = s[1];
                String name = names.get((int) s[2]);
                calls.computeIfAbsent(name, n -> new long[1])[0]++;
                micros.merge(name, (s[1] - s[0]) / 1000.0, Double::sum);
            }
        }
        List<OpTotal> totals = new ArrayList<>();
        calls.forEach((name, c) -> totals.add(new OpTotal(name, c[0], micros.get(name))));
        totals.sort((a, b) -> Double.compare(b.micros(), a.micros()));
        return totals;
    }

    /** Prints the top {@code rows} operators per decoded token, with the total of all of them. */
    static void print(PrintWriter out, List<OpTotal> totals, int tokens, int rows) {
        double all = totals.stream().mapToDouble(OpTotal::micros).sum();
        long calls = totals.stream().mapToLong(OpTotal::calls).sum();
        out.printf(
                "profile: %d top-level operators per token, %.0f µs per token inside them%n",
                calls / tokens, all / tokens);
        out.printf("%-36s %12s %12s %8s%n", "operator", "calls/token", "µs/token", "share");
        for (OpTotal t : totals.subList(0, Math.min(rows, totals.size()))) {
            out.printf(
                    "%-36s %12.1f %12.1f %7.1f%%%n",
                    t.name(), (double) t.calls() / tokens, t.micros() / tokens, 100 * t.micros() / all);
        }
    }
}
