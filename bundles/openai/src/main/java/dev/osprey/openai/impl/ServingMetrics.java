package dev.osprey.openai.impl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import dev.osprey.api.inference.SessionStats;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * {@code GET /metrics}: vLLM's metric names ({@code vllm:num_requests_running}, {@code
 * vllm:time_to_first_token_seconds}, ...) so existing dashboards and alerts work unchanged, each with
 * the {@code model_name} label, in the Prometheus text format. Gauges are read from the session's
 * scheduler ({@link SessionStats}) at scrape time.
 */
final class ServingMetrics {

    /** vLLM's latency buckets for time to first token, in seconds. */
    private static final double[] TTFT_BUCKETS = {
        0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
        160.0, 640.0, 2560.0
    };
    /** vLLM's buckets for the time between two output tokens, in seconds. */
    private static final double[] ITL_BUCKETS = {
        0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0
    };
    /** vLLM's buckets for whole-request latency, in seconds. */
    private static final double[] E2E_BUCKETS = {
        0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0,
        1920.0, 7680.0
    };

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter promptTokens;
    private final Counter generationTokens;
    private final Counter requestSuccess;
    private final Histogram timeToFirstToken;
    private final Histogram interTokenLatency;
    private final Histogram e2eLatency;
    private final Counter requestsRefused;
    private final Supplier<String> modelName;

    /**
     * @param modelName the served model name, the {@code model_name} label
     * @param stats the scheduler's state now, or empty when no session (or a remote one) cannot tell
     */
    ServingMetrics(Supplier<String> modelName, Supplier<Optional<SessionStats>> stats) {
        GaugeWithCallback.builder()
                .name("vllm:num_requests_running")
                .help("Number of requests in model execution batches.")
                .labelNames("model_name")
                .callback(cb -> stats.get().ifPresent(s -> cb.call(s.running(), modelName.get())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("vllm:num_requests_waiting")
                .help("Number of requests waiting to be processed.")
                .labelNames("model_name")
                .callback(cb -> stats.get().ifPresent(s -> cb.call(s.waiting(), modelName.get())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("vllm:kv_cache_usage_perc")
                .help("KV-cache usage. 1 means 100 percent usage.")
                .labelNames("model_name")
                .callback(cb -> stats.get()
                        .filter(s -> s.maxCachedTokens() > 0)
                        .ifPresent(s -> cb.call((double) s.cachedTokens() / s.maxCachedTokens(), modelName.get())))
                .register(registry);
        promptTokens = Counter.builder()
                .name("vllm:prompt_tokens")
                .help("Number of prefill tokens processed.")
                .labelNames("model_name")
                .withoutExemplars()
                .register(registry);
        generationTokens = Counter.builder()
                .name("vllm:generation_tokens")
                .help("Number of generation tokens processed.")
                .labelNames("model_name")
                .withoutExemplars()
                .register(registry);
        requestSuccess = Counter.builder()
                .name("vllm:request_success")
                .help("Count of finished requests.")
                .labelNames("model_name", "finished_reason")
                .withoutExemplars()
                .register(registry);
        timeToFirstToken = Histogram.builder()
                .name("vllm:time_to_first_token_seconds")
                .help("Histogram of time to first token in seconds.")
                .labelNames("model_name")
                .withoutExemplars()
                .classicOnly()
                .classicUpperBounds(TTFT_BUCKETS)
                .register(registry);
        interTokenLatency = Histogram.builder()
                .name("vllm:inter_token_latency_seconds")
                .help("Histogram of inter-token latency in seconds.")
                .labelNames("model_name")
                .withoutExemplars()
                .classicOnly()
                .classicUpperBounds(ITL_BUCKETS)
                .register(registry);
        e2eLatency = Histogram.builder()
                .name("vllm:e2e_request_latency_seconds")
                .help("Histogram of end to end request latency in seconds.")
                .labelNames("model_name")
                .withoutExemplars()
                .classicOnly()
                .classicUpperBounds(E2E_BUCKETS)
                .register(registry);
        requestsRefused = Counter.builder()
                .name("osprey:requests_refused")
                .help(
                        "Requests refused by a limit of the server, by reason (too_many_sequences, too_many_tokens, server_busy).")
                .labelNames("model_name", "reason")
                .withoutExemplars()
                .register(registry);
        this.modelName = modelName;
    }

    /** Shows the server's request limits and what the requests in flight hold of them. */
    void limits(Supplier<ServerLimits> limits, LongSupplier queuedTokens) {
        GaugeWithCallback.builder()
                .name("osprey:max_sequences_per_request")
                .help("The most sequences (prompts x n) one request may ask for (setting max_sequences_per_request).")
                .labelNames("model_name")
                .callback(cb -> cb.call(limits.get().maxSequencesPerRequest(), modelName.get()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("osprey:max_queued_tokens")
                .help(
                        "The most tokens (prompt + max_tokens per sequence) the requests in flight may hold (setting max_queued_tokens).")
                .labelNames("model_name")
                .callback(cb -> cb.call(limits.get().maxQueuedTokens(), modelName.get()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("osprey:queued_tokens")
                .help("Tokens (prompt + max_tokens per sequence) the requests in flight hold now.")
                .labelNames("model_name")
                .callback(cb -> cb.call(queuedTokens.getAsLong(), modelName.get()))
                .register(registry);
    }

    /** Counts a request refused by a limit. */
    void refused(String reason) {
        requestsRefused.labelValues(modelName.get(), reason).inc();
    }

    /** Times one generation: create it when the request is submitted, feed it chunks, then finish it. */
    final class Timer {
        private final String model;
        private final long start = System.nanoTime();
        private long last;

        private Timer(String model) {
            this.model = model;
        }

        void chunk(int tokens) {
            long now = System.nanoTime();
            if (last == 0) {
                timeToFirstToken.labelValues(model).observe((now - start) / 1e9);
            } else if (tokens > 0) {
                double perToken = (now - last) / 1e9 / tokens;
                for (int i = 0; i < tokens; i++) {
                    interTokenLatency.labelValues(model).observe(perToken);
                }
            }
            last = now;
        }

        void finished(String finishReason, int prompt, int completion) {
            e2eLatency.labelValues(model).observe((System.nanoTime() - start) / 1e9);
            promptTokens.labelValues(model).inc(prompt);
            generationTokens.labelValues(model).inc(completion);
            requestSuccess.labelValues(model, finishReason).inc();
        }
    }

    Timer timer(String model) {
        return new Timer(model);
    }

    String contentType() {
        return writer.getContentType();
    }

    byte[] scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(out, registry.scrape());
        return out.toByteArray();
    }
}
