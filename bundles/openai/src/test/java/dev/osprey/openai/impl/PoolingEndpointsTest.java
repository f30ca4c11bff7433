package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;

import dev.osprey.backend.djl.DjlSessions;

/**
 * {@code /v1/embeddings} and {@code /v1/rerank} over the real DJL backend on the transformers fixtures of
 * {@code tools/make-task-fixtures.py}: a bare Qwen3Model served with {@code task_type embedding} gives
 * transformers' pooled, normalised last hidden states (to the official Java client too); a Qwen3ForCausalLM
 * served with {@code task_type generative_reranker} gives Qwen3-Reranker's scores; bad input gets OpenAI's
 * error object naming the field.
 */
class PoolingEndpointsTest {

    static final Path FIXTURES = Path.of("../train/src/test/resources/tasks");

    static TestServer embeddings;
    static TestServer reranker;
    static TestServer classifier;
    static JsonNode embeddingRef;
    static JsonNode rerankRef;

    @BeforeAll
    static void start() throws Exception {
        Path emb = FIXTURES.resolve("embedding-qwen3");
        Path rerank = FIXTURES.resolve("reranker-qwen3");
        embeddingRef = Json.MAPPER.readTree(emb.resolve("reference.json").toFile());
        rerankRef = Json.MAPPER.readTree(rerank.resolve("reference.json").toFile());
        embeddings = new TestServer(
                "djl", name -> DjlSessions.openQwen3(emb, "emb", Map.of("task_type", "embedding")), Map.of());
        classifier = new TestServer(
                "djl",
                name -> DjlSessions.open(
                        FIXTURES.resolve("seq-cls-qwen2"),
                        "cls",
                        Map.of("task_type", "seq_cls"),
                        new dev.osprey.models.qwen.Qwen2Architecture()),
                Map.of());
        reranker = new TestServer(
                "djl",
                name -> DjlSessions.openQwen3(rerank, "rerank", Map.of("task_type", "generative_reranker")),
                Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        embeddings.close();
        reranker.close();
        classifier.close();
    }

    static JsonNode ok(java.net.http.HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    /** The reference input rows without their left padding. */
    static String realIds() {
        StringBuilder out = new StringBuilder("[");
        JsonNode ids = embeddingRef.get("input_ids");
        for (int r = 0; r < ids.size(); r++) {
            out.append(r == 0 ? "[" : ",[");
            boolean first = true;
            for (int i = 0; i < ids.get(r).size(); i++) {
                if (embeddingRef.get("attention_mask").get(r).get(i).asInt() == 1) {
                    out.append(first ? "" : ",").append(ids.get(r).get(i).asInt());
                    first = false;
                }
            }
            out.append("]");
        }
        return out.append("]").toString();
    }

    static void assertVector(JsonNode expected, JsonNode actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).asDouble(), actual.get(i).asDouble(), 1e-5, "component " + i);
        }
    }

    @Test
    void tokenIdsEmbedAsTransformersPoolsThem() throws Exception {
        JsonNode body = ok(embeddings.post("/v1/embeddings", "{\"model\":\"emb\",\"input\":" + realIds() + "}"));
        assertEquals("list", body.get("object").asText());
        assertEquals("emb", body.get("model").asText());
        JsonNode data = body.get("data");
        JsonNode expected = embeddingRef.at("/last_token/values");
        assertEquals(expected.size(), data.size());
        int tokens = 0;
        for (int r = 0; r < data.size(); r++) {
            assertEquals("embedding", data.get(r).get("object").asText());
            assertEquals(r, data.get(r).get("index").asInt());
            assertVector(expected.get(r), data.get(r).get("embedding"));
            for (JsonNode m : embeddingRef.get("attention_mask").get(r)) {
                tokens += m.asInt();
            }
        }
        assertEquals(tokens, body.at("/usage/prompt_tokens").asInt());

        // dimensions: Matryoshka truncation, renormalised; base64: the same floats, little-endian
        JsonNode cut = ok(embeddings.post(
                "/v1/embeddings",
                "{\"model\":\"emb\",\"input\":" + realIds() + ",\"dimensions\":16,\"encoding_format\":\"base64\"}"));
        for (int r = 0; r < 4; r++) {
            byte[] bytes = Base64.getDecoder()
                    .decode(cut.at("/data/" + r + "/embedding").asText());
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            JsonNode want = embeddingRef.at("/last_token_dimensions_16/values/" + r);
            assertEquals(16 * 4, bytes.length);
            for (int i = 0; i < 16; i++) {
                assertEquals(want.get(i).asDouble(), buffer.getFloat(), 1e-5);
            }
        }
    }

    @Test
    void textsEmbedLikeTheirTokensAndTheOfficialClientReadsThem() throws Exception {
        JsonNode one = ok(embeddings.post("/v1/embeddings", "{\"model\":\"emb\",\"input\":\"hello world\"}"));
        JsonNode ids = ok(embeddings.post("/tokenize", "{\"model\":\"emb\",\"prompt\":\"hello world\"}"));
        JsonNode byIds =
                ok(embeddings.post("/v1/embeddings", "{\"model\":\"emb\",\"input\":" + ids.get("tokens") + "}"));
        assertVector(byIds.at("/data/0/embedding"), one.at("/data/0/embedding"));

        OpenAIClient client = OpenAIOkHttpClient.builder()
                .baseUrl(embeddings.base + "/v1")
                .apiKey("unused")
                .maxRetries(0)
                .build();
        try {
            CreateEmbeddingResponse response = client.embeddings()
                    .create(EmbeddingCreateParams.builder()
                            .model("emb")
                            .inputOfArrayOfStrings(List.of("hello world", "a b c"))
                            .build());
            assertEquals(2, response.data().size());
            List<Float> first = response.data().get(0).embedding();
            for (int i = 0; i < first.size(); i++) {
                assertEquals(one.at("/data/0/embedding/" + i).asDouble(), first.get(i), 1e-5);
            }
            assertTrue(response.usage().promptTokens() > 0);
        } finally {
            client.close();
        }
    }

    @Test
    void badInputGetsOpenAisErrorNamingTheField() throws Exception {
        for (String[] c : new String[][] {
            {"{\"model\":\"emb\",\"input\":5}", "input"},
            {"{\"model\":\"emb\",\"input\":[]}", "input"},
            {"{\"model\":\"emb\",\"input\":[[1,2],[999999]]}", "input"},
            {"{\"model\":\"emb\",\"input\":\"x\",\"dimensions\":4096}", "dimensions"},
            {"{\"model\":\"emb\",\"input\":\"x\",\"encoding_format\":\"int8\"}", "encoding_format"},
            {"{\"model\":\"emb\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "input"},
        }) {
            var r = embeddings.post("/v1/embeddings", c[0]);
            assertEquals(400, r.statusCode(), c[0] + " -> " + r.body());
            JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
            assertEquals("invalid_request_error", error.get("type").asText(), r.body());
            assertEquals(c[1], error.get("param").asText(), r.body());
        }
        var unknown = embeddings.post("/v1/embeddings", "{\"model\":\"nope\",\"input\":\"x\"}");
        assertEquals(404, unknown.statusCode(), unknown.body());
        var chat = embeddings.post("/v1/completions", "{\"model\":\"emb\",\"prompt\":\"hi\",\"max_tokens\":2}");
        assertEquals(400, chat.statusCode(), chat.body());
        assertTrue(chat.body().contains("/v1/embeddings"), chat.body());
        var rerankOnEmbedding =
                embeddings.post("/v1/rerank", "{\"model\":\"emb\",\"query\":\"q\",\"documents\":[\"d\"]}");
        assertEquals(400, rerankOnEmbedding.statusCode(), rerankOnEmbedding.body());
    }

    @Test
    void rerankScoresAsQwen3RerankerDoesBestFirst() throws Exception {
        StringBuilder docs = new StringBuilder("[");
        for (JsonNode d : rerankRef.get("documents")) {
            docs.append(docs.length() == 1 ? "" : ",").append(d);
        }
        docs.append("]");
        String request = "{\"model\":\"rerank\",\"query\":" + rerankRef.get("query") + ",\"documents\":" + docs + "}";
        JsonNode body = ok(reranker.post("/v1/rerank", request));
        JsonNode results = body.get("results");
        JsonNode expected = rerankRef.get("relevance_score");
        assertEquals(expected.size(), results.size());
        double previous = Double.MAX_VALUE;
        for (JsonNode r : results) {
            int index = r.get("index").asInt();
            assertEquals(
                    expected.get(index).asDouble(), r.get("relevance_score").asDouble(), 1e-5, r.toString());
            assertEquals(
                    rerankRef.at("/documents/" + index).asText(),
                    r.at("/document/text").asText());
            assertTrue(r.get("relevance_score").asDouble() <= previous);
            previous = r.get("relevance_score").asDouble();
        }
        int tokens = 0;
        for (JsonNode row : rerankRef.get("input_ids")) {
            tokens += row.size();
        }
        assertEquals(tokens, body.at("/usage/total_tokens").asInt());

        JsonNode top = ok(reranker.post(
                "/rerank",
                "{\"model\":\"rerank\",\"query\":" + rerankRef.get("query")
                        + ",\"documents\":[{\"text\":" + rerankRef.at("/documents/0") + "},{\"text\":"
                        + rerankRef.at("/documents/1") + "}],\"top_n\":1,\"return_documents\":false}"));
        assertEquals(1, top.get("results").size());
        assertFalse(top.at("/results/0").has("document"));
        var bad = reranker.post("/v1/rerank", "{\"model\":\"rerank\",\"query\":\"q\",\"documents\":[3]}");
        assertEquals(400, bad.statusCode());
        assertEquals(
                "documents", Json.MAPPER.readTree(bad.body()).at("/error/param").asText());
    }

    @Test
    void classifyGivesTransformersLogitsAndTheirSoftmax() throws Exception {
        JsonNode ref = Json.MAPPER.readTree(
                FIXTURES.resolve("seq-cls-qwen2").resolve("reference.json").toFile());
        StringBuilder input = new StringBuilder("[");
        for (int r = 0; r < ref.get("input_ids").size(); r++) {
            input.append(r == 0 ? "[" : ",[");
            boolean first = true;
            for (int i = 0; i < ref.get("input_ids").get(r).size(); i++) {
                if (ref.at("/attention_mask/" + r + "/" + i).asInt() == 1) {
                    input.append(first ? "" : ",")
                            .append(ref.at("/input_ids/" + r + "/" + i).asInt());
                    first = false;
                }
            }
            input.append("]");
        }
        input.append("]");
        JsonNode body = ok(classifier.post("/classify", "{\"model\":\"cls\",\"input\":" + input + "}"));
        JsonNode data = body.get("data");
        for (int r = 0; r < data.size(); r++) {
            JsonNode logits = ref.at("/logits/values/" + r);
            assertVector(logits, data.get(r).get("logits"));
            assertEquals(3, data.get(r).get("num_classes").asInt());
            double sum = 0;
            int best = 0;
            for (int c = 0; c < 3; c++) {
                sum += data.get(r).at("/probs/" + c).asDouble();
                best = logits.get(c).asDouble() > logits.get(best).asDouble() ? c : best;
            }
            assertEquals(1.0, sum, 1e-6);
            assertEquals("LABEL_" + best, data.get(r).get("label").asText());
        }
        var text = classifier.post("/v1/classify", "{\"model\":\"cls\",\"input\":\"no tokenizer here\"}");
        assertEquals(400, text.statusCode(), text.body());
        assertTrue(text.body().contains("send token ids"), text.body());
    }
}
