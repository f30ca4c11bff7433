package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Bodies the server cannot use get a 4xx in OpenAI's error shape naming what is wrong, never a 500 or
 * a 200: JSON past the limits, bodies too large, malformed or stalled, numbers that do not fit, media a
 * text model cannot read; and a refused body does not break the next request on the connection.
 */
class BadRequestTest {

    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer("tiny", name -> new TinySession("tiny", 7, 0), Map.of("read_timeout", "1"));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    /** The error object of a refusal with {@code status}. */
    static JsonNode error(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
        assertTrue(
                error != null
                        && error.get("message").isTextual()
                        && error.has("type")
                        && error.has("param")
                        && error.has("code"),
                "OpenAI's error shape: " + r.body());
        return error;
    }

    @Test
    void jsonNestedTooDeepIs400() throws Exception {
        String deep = "{\"model\":\"tiny\",\"prompt\":\"a\",\"x\":" + "[".repeat(1000) + "]".repeat(1000) + "}";
        JsonNode e = error(server.post("/v1/completions", deep), 400);
        assertTrue(e.get("message").asText().contains("max_json_depth"), e.toString());
    }

    @Test
    void aStringOver20MillionCharactersIs400() throws Exception {
        String huge = "{\"model\":\"tiny\",\"prompt\":\"" + "a".repeat(20_000_001) + "\"}";
        JsonNode e = error(server.post("/v1/completions", huge), 400);
        assertTrue(e.get("message").asText().contains("max_json_string_length"), e.toString());
    }

    @Test
    void aBodyLargerThanTheLimitIs413WhetherItsLengthIsDeclaredOrNot() throws Exception {
        server.set("max_request_bytes", "1000");
        try {
            String body = "{\"prompt\":\"" + "a".repeat(2000) + "\"}";
            JsonNode e = error(server.post("/v1/completions", body), 413);
            assertTrue(e.get("message").asText().contains("max_request_bytes"), e.toString());
            String chunked =
                    rawExchange("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(body.length()) + "\r\n" + body
                            + "\r\n0\r\n\r\n");
            assertTrue(chunked.startsWith("HTTP/1.1 413"), chunked);
        } finally {
            server.set("max_request_bytes", null);
        }
    }

    @Test
    void malformedOrCutOffChunkedBodiesAre400() throws Exception {
        String head =
                "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        String badSize = rawExchange(head + "ZZ\r\n{\"prompt\":\"a\"}\r\n0\r\n\r\n");
        assertTrue(badSize.startsWith("HTTP/1.1 400"), badSize);
        String cutOff;
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write((head + "40\r\n{\"prompt\":").getBytes(StandardCharsets.UTF_8));
            socket.shutdownOutput(); // the client ends mid-chunk
            cutOff = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(cutOff.startsWith("HTTP/1.1 400"), cutOff);
        assertTrue(cutOff.contains("\"invalid_request_error\""), cutOff);
    }

    @Test
    void aBodyThatStallsGets408AfterTheReadTimeout() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            long start = System.nanoTime();
            socket.getOutputStream()
                    .write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: 100\r\n\r\n{\"prompt\":")
                            .getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush(); // ... and nothing more
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
            assertTrue(answer.contains("read_timeout"), answer);
            assertTrue(seconds < 5, "answered after " + seconds + " s with read_timeout 1 s");
        }
    }

    @Test
    void anEarlyRefusalOfALargeBodyLeavesTheConnectionUsable() throws Exception {
        server.set("api_key", "sk-right");
        try {
            String big = "{\"prompt\":\"" + "a".repeat(4 << 20) + "\"}";
            HttpRequest.Builder wrongKey = HttpRequest.newBuilder(URI.create(server.base + "/v1/completions"))
                    .header("Authorization", "Bearer sk-wrong")
                    .POST(HttpRequest.BodyPublishers.ofString(big));
            for (int i = 0; i < 3; i++) { // the same client, so the same keep-alive connection if the server kept it
                HttpResponse<String> refused = server.send(wrongKey);
                error(refused, 401);
                HttpResponse<String> next = server.send(HttpRequest.newBuilder(URI.create(server.base + "/v1/models"))
                        .header("Authorization", "Bearer sk-right")
                        .GET());
                assertEquals(200, next.statusCode(), next.body());
            }
            // and on one connection, byte for byte: the refused body is not read as the next request
            String body = "{\"prompt\":\"" + "a".repeat(1 << 20) + "\"}";
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream()
                        .write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-wrong\r\n"
                                        + "Content-Type: application/json\r\nContent-Length: " + body.length()
                                        + "\r\n\r\n" + body
                                        + "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.UTF_8));
                String answers = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(answers.startsWith("HTTP/1.1 401"), answers);
                assertTrue(
                        answers.contains("HTTP/1.1 200"),
                        "the second request is answered on the same connection: " + answers);
            }
        } finally {
            server.set("api_key", null);
        }
    }

    @Test
    void integersThatDoNotFitAre400NamingTheField() throws Exception {
        String beyond64 = "18446744073709551621"; // 2^64 + 5: reads as 5 when it wraps around
        for (String field : new String[] {"max_tokens", "n", "seed", "logprobs", "top_k"}) {
            JsonNode e = error(
                    server.post("/v1/completions", "{\"prompt\":\"abc\",\"" + field + "\":" + beyond64 + "}"), 400);
            assertEquals(field, e.get("param").asText(), e.toString());
        }
        JsonNode beyondInt =
                error(server.post("/v1/completions", "{\"prompt\":\"abc\",\"max_tokens\":4294967298}"), 400);
        assertEquals("max_tokens", beyondInt.get("param").asText());
        JsonNode ids = error(server.post("/v1/completions", "{\"prompt\":[3, 4294967299]}"), 400);
        assertTrue(ids.get("message").asText().contains("prompt[1]"), ids.toString());
        JsonNode stops = error(
                server.post("/v1/completions", "{\"prompt\":\"abc\",\"stop_token_ids\":[" + beyond64 + "]}"), 400);
        assertTrue(stops.get("message").asText().contains("stop_token_ids[0]"), stops.toString());
        JsonNode tokens = error(server.post("/detokenize", "{\"tokens\":[4294967299]}"), 400);
        assertTrue(tokens.get("message").asText().contains("tokens[0]"), tokens.toString());
        JsonNode chat = error(
                server.post("/v1/chat/completions", OpenAiProtocolTest.chat(",\"max_completion_tokens\":" + beyond64)),
                400);
        assertEquals("max_completion_tokens", chat.get("param").asText());
    }

    @Test
    void mediaForATextOnlyModelIs400() throws Exception {
        String image =
                "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what is it\"},"
                        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]}]}";
        JsonNode e = error(server.post("/v1/chat/completions", image), 400);
        assertTrue(e.get("message").asText().contains("model `tiny` does not accept images"), e.toString());
        assertEquals("messages", e.get("param").asText());
        String audio =
                "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"AAAA\","
                        + "\"format\":\"wav\"}}]}]}";
        assertTrue(error(server.post("/v1/chat/completions", audio), 400)
                .get("message")
                .asText()
                .contains("does not accept audio"));
        String video = image.replace("image_url", "video_url").replace("data:image/png", "data:video/mp4");
        JsonNode v = error(server.post("/v1/chat/completions", video), 400);
        assertTrue(v.get("message").asText().contains("model `tiny` does not accept videos"), v.toString());
        assertEquals("messages", v.get("param").asText());
        assertTrue(error(server.post("/tokenize", image), 400)
                .get("message")
                .asText()
                .contains("does not accept images"));
    }

    @Test
    void trailingGarbageAndInvalidUtf8Are400() throws Exception {
        error(server.post("/v1/completions", "{\"prompt\":\"abc\"} {\"more\":1}"), 400);
        HttpResponse<String> bytes = server.send(HttpRequest.newBuilder(URI.create(server.base + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(
                        new byte[] {'{', '"', 'p', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'})));
        error(bytes, 400);
    }

    /** Sends {@code request} on a fresh connection and reads the answer until the server closes it. */
    static String rawExchange(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int n;
            try {
                while ((n = in.read(buffer)) != -1) {
                    answer.write(buffer, 0, n);
                    String text = answer.toString(StandardCharsets.UTF_8);
                    int end = text.indexOf("\r\n\r\n");
                    if (end > 0 && text.contains("Content-Length: ")) {
                        int length = Integer.parseInt(text.replaceAll("(?s).*Content-Length: (\\d+).*", "$1"));
                        if (answer.size() >= end + 4 + length) {
                            break;
                        }
                    }
                }
            } catch (java.net.SocketException e) {
                // reset after the answer: what arrived is what counts
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
    }
}
