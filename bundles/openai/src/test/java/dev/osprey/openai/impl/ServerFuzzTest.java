package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A few thousand mutated requests (seeded, so a failure can be replayed) over real sockets to a real
 * server on 127.0.0.1 with a real tiny model: broken, deep, huge and wrongly typed JSON, invalid UTF-8,
 * random bytes, wrong methods, paths and content types, chunked garbage, lying Content-Lengths. No
 * answer may be a 5xx, none may hang, and the server must serve normally afterwards.
 */
class ServerFuzzTest {

    static final long SEED = 20261206L;
    static final int REQUESTS = 4000;
    /** No request may take longer to be answered. */
    static final int TIMEOUT_MILLIS = 20_000;

    static final String[] PATHS = {
        "/v1/chat/completions",
        "/v1/completions",
        "/tokenize",
        "/detokenize",
        "/v1/models",
        "/health",
        "/metrics",
        "/version",
        "/ping",
        "/v1/load_lora_adapter",
        "/v1/unload_lora_adapter",
        "/v1/admin/backend",
        "/v1/embeddings",
        "/v1/",
        "/v1/chat/completions/",
        "/v1/../health",
        "/v1/%00",
        "/v1/chat%2Fcompletions"
    };
    static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"};
    static final String[] CONTENT_TYPES = {
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin1",
        ""
    };
    static final String[] VALID = {
        "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3,\"temperature\":0}",
        "{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"abc\"}]}],"
                + "\"max_completion_tokens\":2,\"n\":2,\"seed\":4,\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
        "{\"model\":\"tiny\",\"prompt\":\"abc\",\"max_tokens\":4,\"echo\":true,\"stop\":[\"x\"],\"logprobs\":0}",
        "{\"prompt\":[\"abc\",\"xyz\"],\"max_tokens\":2,\"temperature\":0.7,\"top_p\":0.9,\"top_k\":5,\"stream\":true}",
        "{\"prompt\":[3,4,5],\"max_tokens\":2,\"stop_token_ids\":[1],\"presence_penalty\":0.5,\"frequency_penalty\":0.1}",
        "{\"model\":\"tiny\",\"prompt\":\"hello world\"}",
        "{\"model\":\"tiny\",\"tokens\":[3,4,5]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AA==\"}}]}]}",
        "{\"lora_name\":\"x\",\"lora_path\":\"/tmp\"}",
        "{\"backend\":\"nope\"}"
    };
    static final String[] WEIRD_VALUES = {
        "null",
        "true",
        "\"s\"",
        "[]",
        "{}",
        "[1,\"a\"]",
        "3.7",
        "-1",
        "0",
        "1e999",
        "-1e999",
        "18446744073709551621",
        "-18446744073709551621",
        "99999999999999999999999999999999999999",
        "1e-999",
        "-0",
        "2147483648",
        "4294967297",
        "\"\\ud800\"",
        "\"\\u0000\"",
        "\"" + "\\\"".repeat(50) + "\""
    };
    static final String[] FIELDS = {
        "model",
        "messages",
        "prompt",
        "max_tokens",
        "max_completion_tokens",
        "n",
        "stream",
        "temperature",
        "top_p",
        "top_k",
        "min_p",
        "seed",
        "stop",
        "stop_token_ids",
        "logprobs",
        "top_logprobs",
        "echo",
        "stream_options",
        "tools",
        "tokens",
        "lora_name",
        "lora_path",
        "backend",
        "presence_penalty",
        "repetition_penalty"
    };

    /** One request as bytes, and what it was, for the failure message. */
    record Case(int index, String kind, byte[] bytes) {}

    @Test
    void noMutatedRequestGetsA5xxOrHangsAndTheServerStaysHealthy() throws Exception {
        Map<String, Object> config = Map.of(
                "read_timeout",
                "0.5",
                "max_request_bytes",
                String.valueOf(2 << 20),
                "max_json_string_length",
                String.valueOf(1 << 20),
                "max_sequences_per_request",
                "8",
                "max_queued_tokens",
                "200",
                "disconnect_check_ms",
                "200");
        try (TestServer server =
                new TestServer("tiny", name -> name.equals("tiny") ? new TinySession("tiny", 3, 0) : null, config)) {
            Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
            AtomicInteger closedEarly = new AtomicInteger();
            List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            long start = System.nanoTime();
            ExecutorService clients = Executors.newFixedThreadPool(2);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                Case c = mutate(i, new Random(SEED * 31 + i));
                done.add(clients.submit(() -> {
                    try {
                        int status = exchange(server.port(), c);
                        if (status < 0) {
                            closedEarly.incrementAndGet();
                        } else {
                            statuses.merge(status, 1, Integer::sum);
                            if (status >= 500) {
                                failures.add("#" + c.index() + " (" + c.kind() + ") got " + status + ": "
                                        + preview(c.bytes()));
                            }
                        }
                    } catch (SocketTimeoutException e) {
                        failures.add("#" + c.index() + " (" + c.kind() + ") hung for " + TIMEOUT_MILLIS + " ms: "
                                + preview(c.bytes()));
                    } catch (IOException e) {
                        failures.add("#" + c.index() + " (" + c.kind() + ") failed: " + e + ": " + preview(c.bytes()));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            clients.shutdown();
            assertTrue(clients.awaitTermination(10, TimeUnit.SECONDS));
            System.out.printf(
                    "server fuzz: %d requests in %.1f s, statuses %s, %d closed before an answer%n",
                    REQUESTS, (System.nanoTime() - start) / 1e9, new java.util.TreeMap<>(statuses), closedEarly.get());
            assertTrue(
                    failures.isEmpty(),
                    failures.size() + " failures, the first: " + failures.subList(0, Math.min(10, failures.size())));
            assertTrue(
                    closedEarly.get() < REQUESTS / 20,
                    closedEarly + " requests saw the connection close without an answer");

            // healthy afterwards
            server.set("disconnect_check_ms", null);
            assertEquals(200, server.get("/health").statusCode());
            var r = server.post("/v1/chat/completions", VALID[0]);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = Json.MAPPER.readTree(r.body());
            assertTrue(body.at("/usage/completion_tokens").asInt() >= 1, r.body());
            assertEquals(
                    0,
                    RequestLimitsTest.sample(server.get("/metrics").body(), "osprey:queued_tokens{"),
                    "every reservation returned");
        }
    }

    /** The request {@code index}, made from a valid one by one mutation drawn from {@code random}. */
    static Case mutate(int index, Random random) {
        String path = PATHS[random.nextInt(3) == 0 ? random.nextInt(PATHS.length) : random.nextInt(4)];
        String method = random.nextInt(8) == 0 ? METHODS[random.nextInt(METHODS.length)] : "POST";
        String contentType =
                random.nextInt(8) == 0 ? CONTENT_TYPES[random.nextInt(CONTENT_TYPES.length)] : "application/json";
        String json = VALID[random.nextInt(VALID.length)];
        byte[] body;
        String kind;
        switch (random.nextInt(12)) {
            case 0 -> {
                kind = "deep nesting";
                int depth = 1 + random.nextInt(3000);
                String open = random.nextBoolean() ? "[" : "{\"a\":";
                String close = open.equals("[") ? "]" : "}";
                body = utf8(json.substring(0, json.length() - 1) + ",\"deep\":" + open.repeat(depth) + "1"
                        + close.repeat(depth) + "}");
            }
            case 1 -> {
                kind = "weird value";
                body = utf8(setField(
                        json,
                        FIELDS[random.nextInt(FIELDS.length)],
                        WEIRD_VALUES[random.nextInt(WEIRD_VALUES.length)]));
            }
            case 2 -> {
                kind = "truncated";
                body = utf8(json.substring(0, random.nextInt(json.length())));
            }
            case 3 -> {
                kind = "invalid UTF-8";
                byte[] valid = utf8(json);
                body = valid.clone();
                for (int k = 0; k < 1 + random.nextInt(4); k++) {
                    body[random.nextInt(body.length)] = (byte) (0x80 + random.nextInt(128));
                }
            }
            case 4 -> {
                kind = "random bytes";
                body = new byte[random.nextInt(2000)];
                random.nextBytes(body);
            }
            case 5 -> {
                kind = "huge string within limits";
                String big = "abc ".repeat(1 + random.nextInt(200_000));
                body = utf8(setField(json, random.nextBoolean() ? "prompt" : "model", "\"" + big + "\""));
            }
            case 6 -> {
                kind = "not an object";
                body = utf8(new String[] {"[]", "1", "\"x\"", "null", "", " ", "[" + json + "]", json + json}
                        [random.nextInt(8)]);
            }
            case 7 -> {
                kind = "big numbers of work";
                body = utf8(setField(
                        setField(json, "n", String.valueOf(random.nextInt(300))),
                        "max_tokens",
                        String.valueOf(random.nextInt(100_000))));
            }
            default -> {
                kind = "valid";
                body = utf8(json);
            }
        }
        return frame(index, random, method, path, contentType, body, kind);
    }

    /** Puts the body into an HTTP/1.1 request, sometimes chunked, sometimes broken at the framing level. */
    static Case frame(
            int index, Random random, String method, String path, String contentType, byte[] body, String kind) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringBuilder head =
                new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        if (!contentType.isEmpty()) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        int framing = random.nextInt(10);
        String what = kind;
        if (framing == 0) {
            what += ", chunked";
            head.append("Transfer-Encoding: chunked\r\n\r\n");
            out.writeBytes(utf8(head.toString()));
            int at = 0;
            while (at < body.length) {
                int n = Math.min(body.length - at, 1 + random.nextInt(512));
                out.writeBytes(utf8(Integer.toHexString(n) + "\r\n"));
                out.write(body, at, n);
                out.writeBytes(utf8("\r\n"));
                at += n;
            }
            out.writeBytes(utf8("0\r\n\r\n"));
        } else if (framing == 1) {
            what += ", chunked garbage";
            head.append("Transfer-Encoding: chunked\r\n\r\n");
            out.writeBytes(utf8(head.toString()));
            String[] garbage = {
                "ZZ\r\n",
                "FFFFFFFFFFFFFFFF\r\nabc",
                "5\r\nab",
                "3;ext=1\r\nabc\r\n0\r\n\r\n",
                "-1\r\n",
                "\r\n\r\n",
                "2\r\nabcdef\r\n0\r\n\r\n",
                "0\r\nTrailer: x\r\n\r\n"
            };
            out.writeBytes(utf8(garbage[random.nextInt(garbage.length)]));
        } else if (framing == 2) {
            what += ", Content-Length too large";
            head.append("Content-Length: ")
                    .append(body.length + 1 + random.nextInt(100))
                    .append("\r\n\r\n");
            out.writeBytes(utf8(head.toString()));
            out.writeBytes(body);
        } else if (framing == 3) {
            what += ", Content-Length too small";
            head.append("Content-Length: ").append(body.length / 2).append("\r\n\r\n");
            out.writeBytes(utf8(head.toString()));
            out.writeBytes(body);
        } else if (framing == 4) {
            what += ", bad header";
            String[] bad = {
                "Content-Length: abc\r\n",
                "Content-Length: -5\r\n",
                "Content-Length: 99999999999999999999\r\n",
                "X-Long: " + "x".repeat(20_000) + "\r\n",
                "Authorization: Bearer\r\n",
                "Bad Header\r\n"
            };
            head.append(bad[random.nextInt(bad.length)]).append("\r\n");
            out.writeBytes(utf8(head.toString()));
            out.writeBytes(body);
        } else {
            head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
            out.writeBytes(utf8(head.toString()));
            out.writeBytes(body);
        }
        return new Case(index, what, out.toByteArray());
    }

    /**
     * Sends the request and reads the answer's status.
     *
     * @return the status, or -1 when the server closed the connection before answering (after refusing
     *         to read more of what was sent)
     */
    static int exchange(int port, Case c) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(c.bytes());
                out.flush();
                socket.shutdownOutput();
            } catch (IOException e) {
                // the server stopped reading (it refused the request early): its answer may still be there
            }
            InputStream in = socket.getInputStream();
            byte[] line = new byte[16];
            int n;
            try {
                n = in.readNBytes(line, 0, line.length);
            } catch (java.net.SocketException e) {
                return -1;
            }
            try {
                in.readAllBytes(); // to the end, so a hang mid-answer is caught too
            } catch (java.net.SocketException e) {
                // reset after the answer, because of unread request bytes: the answer is what counts
            }
            if (n < 12) {
                return -1;
            }
            String status = new String(line, 0, n, StandardCharsets.US_ASCII);
            if (!status.startsWith("HTTP/1.1 ")) {
                throw new IOException("not an HTTP answer: " + status);
            }
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    /** The JSON object with {@code field} set to the raw JSON {@code value}. */
    static String setField(String json, String field, String value) {
        return "{\"" + field + "\":" + value + "," + json.substring(1);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String preview(byte[] bytes) {
        String s = new String(bytes, 0, Math.min(bytes.length, 300), StandardCharsets.UTF_8);
        return s.replace("\r\n", "\\r\\n") + (bytes.length > 300 ? "... (" + bytes.length + " bytes)" : "");
    }
}
