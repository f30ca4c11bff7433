package dev.osprey.cli.impl;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.osgi.service.cm.Configuration;

import dev.osprey.api.inference.InferenceBackend;
import dev.osprey.api.plugin.ExtensionHandle;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osprey deploy}: serves a model behind the OpenAI-compatible API (ms-swift's option names),
 * on the backend chosen with {@code --infer_backend}, until the process is stopped. It configures the
 * server ({@code dev.osprey.openai}) and Felix HTTP through Config Admin, then waits for
 * {@code /health}.
 */
@Command(
        name = "deploy",
        mixinStandardHelpOptions = true,
        description =
                "Serve a model with an OpenAI-compatible API (/v1/chat/completions, /v1/completions, /metrics) until stopped.")
public class DeployCommand extends PlatformCommand implements Callable<Integer> {

    static final String SERVER_PID = "dev.osprey.openai";

    @Mixin
    ServingOptions serving;

    @Option(
            names = "--host",
            paramLabel = "HOST",
            defaultValue = "127.0.0.1",
            description = "address to bind (default: ${DEFAULT-VALUE})")
    String host;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "8000",
            description = "port to bind (default: ${DEFAULT-VALUE})")
    int port;

    @Option(
            names = "--api_key",
            paramLabel = "KEY",
            description = "clients must send 'Authorization: Bearer KEY' on every route"
                    + " but /health and /metrics; visible to other users in ps, so prefer --api_key_file or the environment variable"
                    + " OSPREY_API_KEY (or VLLM_API_KEY)")
    String apiKey;

    @Option(
            names = "--api_key_file",
            paramLabel = "FILE",
            description = "read the API key from this file (the key alone on one line)")
    Path apiKeyFile;

    @Option(
            names = "--enable_admin",
            description = "answer POST /v1/load_lora_adapter, /v1/unload_lora_adapter and"
                    + " /v1/admin/backend (off by default)")
    boolean enableAdmin;

    @Option(
            names = "--adapter_roots",
            paramLabel = "DIR",
            arity = "1..*",
            description =
                    "folders that /v1/load_lora_adapter may" + " load from (default: the folders of the --adapters)")
    List<Path> adapterRoots = new ArrayList<>();

    @Option(names = "--max_loras", paramLabel = "N", description = "adapters served at once at most (default: 16)")
    Integer maxLoras;

    @Option(names = "--protect_metrics", description = "/metrics needs the API key too")
    boolean protectMetrics;

    @Option(
            names = "--max_request_bytes",
            paramLabel = "N",
            description = "the largest request body; larger gets 413 (default: 32 MiB)")
    Long maxRequestBytes;

    @Option(
            names = "--read_timeout",
            paramLabel = "SECONDS",
            description = "a request body that sends nothing for this long" + " gets 408 (default: 30)")
    Double readTimeout;

    @Option(
            names = "--max_sequences_per_request",
            paramLabel = "N",
            description = "prompts x n of one request at most; more" + " gets 400 (default: 256)")
    Integer maxSequencesPerRequest;

    @Option(
            names = "--max_queued_tokens",
            paramLabel = "N",
            description = "prompt + max_tokens of all requests in flight at most;"
                    + " past it new requests get 429 (default: 8388608)")
    Long maxQueuedTokens;

    @Option(
            names = "--served_model_name",
            paramLabel = "NAME",
            description = "the model name clients use (default: --model)")
    String servedModelName;

    @Option(names = "--max_num_seqs", paramLabel = "N", description = "sequences generated together at most")
    Integer maxNumSeqs;

    @Option(
            names = "--max_num_batched_tokens",
            paramLabel = "N",
            description = "prompt tokens read between two decode steps, for the djl backend (default: 256)")
    Integer maxNumBatchedTokens;

    @Option(
            names = "--enable_chunked_prefill",
            paramLabel = "BOOL",
            arity = "1",
            description = "read a long prompt in chunks between decode steps, for the djl backend (default: true)")
    Boolean enableChunkedPrefill;

    @Option(
            names = "--base_url",
            paramLabel = "URL",
            description = "with --infer_backend remote (or vllm, ...): the server to forward to")
    String baseUrl;

    @Option(names = "--torch_dtype", paramLabel = "TYPE", description = "float32 or float16, for the djl backend")
    String dtype;

    @Option(
            names = "--quant_bits",
            paramLabel = "N",
            description = "8: quantize the decoder's linear layers per row while loading and serve them from the int8"
                    + " codes with a packed kernel; 4: int4 (groups of 128) is served from PyTorch's packed int4"
                    + " kernel too, nf4 has no packed kernel and is dequantized in every pass; for the djl backend")
    Integer quantBits;

    @Option(
            names = {"--quant_type", "--bnb_4bit_quant_type"},
            paramLabel = "TYPE",
            description = "with --quant_bits 4: nf4 (default) or int4")
    String quantType;

    @Override
    public Integer call() throws Exception {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--port must be between 1 and 65535, was " + port);
        }
        platform.settledPlugins(10_000); // backends hot-deployed from plugins/ are there too
        try (ExtensionHandle<InferenceBackend> check = serving.requireBackend(platform.extensions)) {
            // present: the server opens its own handle
        }
        if (platform.configurationAdmin == null) {
            throw new IllegalStateException("Config Admin is not running, so the server cannot be configured");
        }
        Configuration server = platform.configurationAdmin.getConfiguration(SERVER_PID, "?");
        server.update(serverProperties());
        startHttp();
        String base = "http://" + host + ":" + port;
        out().printf("Loading %s on backend '%s' ...%n", serving.model, serving.backend);
        out().flush();
        waitHealthy(base);
        out().printf(
                        "Serving %s (backend %s) at %s/v1 (POST /v1/chat/completions, /v1/completions; GET /v1/models, /metrics; web UI at /ui/)%n",
                        servedModelName != null ? servedModelName : serving.model, serving.backend, base);
        out().flush();
        new CountDownLatch(1).await(); // until SIGTERM; the framework then closes the session
        return 0;
    }

    /** The server's configuration (PID {@value #SERVER_PID}) from the options. */
    Hashtable<String, Object> serverProperties() {
        Hashtable<String, Object> p = modelProperties(
                serving.settings, serving.model, serving.backend, serving.device.device, serving.namedAdapters());
        put(p, "host", host);
        put(p, "api_key", apiKey);
        put(p, "api_key_file", apiKeyFile == null ? null : apiKeyFile.toAbsolutePath());
        if (enableAdmin) {
            p.put("enable_admin", "true");
        }
        if (protectMetrics) {
            p.put("protect_metrics", "true");
        }
        if (!adapterRoots.isEmpty()) {
            p.put(
                    "adapter_roots",
                    adapterRoots.stream()
                            .map(r -> r.toAbsolutePath().toString())
                            .toArray(String[]::new));
        }
        put(p, "max_loras", maxLoras);
        put(p, "max_request_bytes", maxRequestBytes);
        put(p, "read_timeout", readTimeout);
        put(p, "max_sequences_per_request", maxSequencesPerRequest);
        put(p, "max_queued_tokens", maxQueuedTokens);
        put(p, "served_model_name", servedModelName);
        put(p, "max_num_seqs", maxNumSeqs);
        put(p, "max_num_batched_tokens", maxNumBatchedTokens);
        put(p, "enable_chunked_prefill", enableChunkedPrefill);
        put(p, "max_model_len", serving.maxModelLen);
        put(p, "base_url", baseUrl);
        put(p, "torch_dtype", dtype);
        put(p, "quant_bits", quantBits);
        put(p, "quant_type", quantType);
        return p;
    }

    /**
     * What the server serves: the model, backend, device and named adapters, over the backend's other settings.
     * The web UI's serve route ({@code /api/serving} of the openai bundle) writes the same keys.
     */
    static Hashtable<String, Object> modelProperties(
            Map<String, String> settings, String model, String backend, String device, Map<String, String> adapters) {
        Hashtable<String, Object> p = new Hashtable<>();
        settings.forEach(p::put);
        p.put("model", model);
        p.put("infer_backend", backend);
        p.put("device", device);
        List<String> named = adapters.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .toList();
        if (!named.isEmpty()) {
            p.put("adapters", named.toArray(new String[0]));
        }
        return p;
    }

    private static void put(Hashtable<String, Object> p, String key, Object value) {
        if (value != null) {
            p.put(key, value.toString());
        }
    }

    /** Points Felix HTTP at host:port and waits until the port accepts connections. */
    private void startHttp() throws IOException, InterruptedException {
        Configuration config = platform.configurationAdmin.getConfiguration(ServeCommand.HTTP_PID, "?");
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(ServeCommand.ENABLE_KEY, Boolean.TRUE);
        props.put(ServeCommand.HOST_KEY, host);
        props.put(ServeCommand.PORT_KEY, port);
        config.update(props);
        long deadline = System.currentTimeMillis() + 15_000;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IOException("the HTTP server did not start on " + host + ":" + port
                + " within 15 s; is the port taken by another process?");
    }

    /** Waits for /health; a backend that failed to open is reported with the server's reason (the 503's message). */
    private void waitHealthy(String base) throws IOException, InterruptedException {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        while (true) {
            try {
                HttpResponse<String> health = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/health"))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    return;
                }
                if (health.statusCode() == 503 && health.body().contains("could not serve")) {
                    String message =
                            health.body().replaceAll(".*\"message\":\"", "").replaceAll("\",\"type\".*", "");
                    throw new IllegalStateException(message);
                }
            } catch (IOException e) {
                // the servlet is not registered yet
            }
            Thread.sleep(250);
        }
    }
}
