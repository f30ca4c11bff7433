package dev.osprey.devtools.impl;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
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
        Map<String, List<Span>> byThread = new HashMap<>();
        for (JsonNode e : events) {
            if ("X".equals(e.path("ph").asText()) && e.has("dur")) { // complete events: an operator's call
                double start = e.path("ts").asDouble();
                byThread.computeIfAbsent(e.path("tid").asText(), t -> new ArrayList<>())
                        .add(new Span(
                                e.path("name").asText(),
                                start,
                                start + e.path("dur").asDouble()));
            }
        }
        Map<String, OpTotal> totals = new HashMap<>();
        for (List<Span> spans : byThread.values()) {
            // by start, and the enclosing one first where two start together
            spans.sort(Comparator.comparingDouble(Span::start).thenComparing(Span::end, Comparator.reverseOrder()));
            double openUntil = Double.NEGATIVE_INFINITY;
            for (Span s : spans) {
                if (s.start() < openUntil) {
                    continue; // inside the operator that started before it
                }
                openUntil = s.end();
                totals.merge(
                        s.name(),
                        new OpTotal(s.name(), 1, s.end() - s.start()),
                        (a, b) -> new OpTotal(a.name(), a.calls() + 1, a.micros() + b.micros()));
            }
        }
        List<OpTotal> sorted = new ArrayList<>(totals.values());
        sorted.sort(Comparator.comparingDouble(OpTotal::micros).reversed());
        return sorted;
    }

    /** One operator call in the trace, in µs. */
    private record Span(String name, double start, double end) {}

    /**
     * Prints the top {@code rows} operators per decoded token, with the total of all of them (the work profiled is
     * {@code tokens} decode steps and the prompt's pass, which counts as about one more step).
     */
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
