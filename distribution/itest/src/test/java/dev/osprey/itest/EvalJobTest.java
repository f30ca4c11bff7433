package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code osprey eval} runs the {@code perplexity} evaluator as a job of the distribution's job service and reproduces
 * the loss Hugging Face transformers computes for the reference checkpoint (tools/make-reference-fixtures.py).
 */
class EvalJobTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURE = Path.of("../../plugins-models/qwen/src/test/resources/reference/qwen2")
            .toAbsolutePath()
            .normalize();

    @TempDir
    static Path home;

    static Path model;
    static JsonNode reference;

    @BeforeAll
    static void layOut() throws IOException {
        DistributionCliTest.layOutHome(home);
        reference = JSON.readTree(FIXTURE.resolve("reference.json").toFile());
        model = home.resolve("reference-qwen2");
        Files.createDirectories(model);
        for (String file : List.of("config.json", "generation_config.json", "model.safetensors")) {
            Files.copy(FIXTURE.resolve(file), model.resolve(file));
        }
        writeWordTokenizer(model, reference.path("logits").path("shape").get(2).asInt());
    }

    /**
     * A word-level tokenizer whose word {@code tN} is token N, and a template that writes the messages' text as it
     * is: a conversation {@code "t1 t17 t93"} is exactly the token ids 1, 17, 93.
     */
    private static void writeWordTokenizer(Path folder, int vocab) throws IOException {
        String words =
                IntStream.range(0, vocab).mapToObj(i -> "\"t" + i + "\":" + i).collect(Collectors.joining(","));
        Files.writeString(
                folder.resolve("tokenizer.json"),
                "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],\"normalizer\":null,"
                        + "\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                        + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + words + "},\"unk_token\":\"t0\"}}");
        Files.writeString(
                folder.resolve("tokenizer_config.json"),
                "{\"chat_template\": \"{% for m in messages %}{{ m['content'] }}{% endfor %}\","
                        + " \"add_bos_token\": false, \"eos_token\": \"t2\"}");
    }

    /** The reference's rows (padding dropped) as pre-training style conversations: one assistant message each. */
    private static Path referenceDataset() throws IOException {
        StringBuilder rows = new StringBuilder();
        JsonNode ids = reference.path("input_ids");
        JsonNode mask = reference.path("attention_mask");
        for (int r = 0; r < ids.size(); r++) {
            StringBuilder text = new StringBuilder();
            for (int t = 0; t < ids.get(r).size(); t++) {
                if (mask.get(r).get(t).asInt() == 1) {
                    text.append(text.length() == 0 ? "" : " ")
                            .append('t')
                            .append(ids.get(r).get(t).asInt());
                }
            }
            rows.append("{\"messages\": [{\"role\": \"assistant\", \"content\": \"")
                    .append(text)
                    .append("\"}]}\n");
        }
        Path file = home.resolve("reference-rows.jsonl");
        Files.writeString(file, rows);
        return file;
    }

    @Test
    void perplexityReproducesTheLossOfTransformers() throws Exception {
        Path out = home.resolve("eval-out");
        ChildProcess.Result eval = DistributionCliTest.ospreyIn(
                home,
                "eval",
                "--model",
                model.toString(),
                "--dataset",
                referenceDataset().toString(),
                "--eval_output_dir",
                out.toString());
        assertEquals(0, eval.exit(), eval.out());

        JsonNode result = JSON.readTree(out.resolve("eval_result.json").toFile());
        JsonNode metrics = result.path("metrics");
        // transformers' loss over both rows is the mean over all their predicted tokens: the token-weighted mean
        double expected = reference.path("loss").asDouble();
        assertEquals(expected, metrics.path("loss").asDouble(), 1e-4, result.toString());
        assertEquals(Math.exp(expected), metrics.path("perplexity").asDouble(), 1e-2, result.toString());
        assertEquals(17, metrics.path("tokens").asInt(), "11 + 6 predicted tokens: " + result);
        assertEquals(2, metrics.path("samples").asInt(), result.toString());
        assertTrue(eval.out().contains("perplexity = "), eval.out());

        List<String> details = Files.readAllLines(Path.of(result.path("details").asText()));
        assertEquals(2, details.size(), details.toString());
        assertEquals(11, JSON.readTree(details.get(0)).path("tokens").asInt(), details.toString());
    }

    @Test
    void badInputIsNamed() throws Exception {
        ChildProcess.Result noData = DistributionCliTest.ospreyIn(home, "eval", "--model", model.toString());
        assertEquals(2, noData.exit(), noData.out());
        assertTrue(noData.out().contains("perplexity needs --dataset"), noData.out());

        ChildProcess.Result unknown = DistributionCliTest.ospreyIn(
                home, "eval", "--model", model.toString(), "--eval_dataset", "no-such-benchmark");
        assertEquals(2, unknown.exit(), unknown.out());
        assertTrue(unknown.out().contains("no-such-benchmark") && unknown.out().contains("perplexity"), unknown.out());
    }
}
