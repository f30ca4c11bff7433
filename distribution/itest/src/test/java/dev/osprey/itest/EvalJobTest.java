package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code osprey eval} runs the {@code perplexity} evaluator as a job of the distribution's job service and reproduces
 * the loss Hugging Face transformers computes for the reference checkpoint (tools/make-reference-fixtures.py).
 */
class EvalJobTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURE = Path.of("../../plugins-models/qwen/src/test/resources/reference/qwen2")
            .toAbsolutePath()
            .normalize();

    /** The word-level tokenizer, the MMLU-layout questions and transformers' answers (tools/make-eval-fixtures.py). */
    private static final Path FIXTURES = TestPlatform.root().resolve("distribution/itest/src/test/resources/eval");

    @TempDir
    static Path home;

    static Path model;
    static Path digitModel;
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
        // a word-level tokenizer whose word tN is token N (up to 120; the letters and MMLU's marks above), and a
        // template that writes the messages' text as it is: "t1 t17 t93" is exactly the token ids 1, 17, 93
        for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(FIXTURES.resolve("word-model").resolve(file), model.resolve(file));
        }
        // the same weights with a tokenizer that has digits (one token each) for the math benchmarks
        digitModel = home.resolve("digit-model");
        Files.createDirectories(digitModel);
        for (String file : List.of("config.json", "generation_config.json", "model.safetensors")) {
            Files.copy(FIXTURE.resolve(file), digitModel.resolve(file));
        }
        for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(FIXTURES.resolve("digit-model").resolve(file), digitModel.resolve(file));
        }
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
    void mmluGivesTransformersAnswers() throws Exception {
        assertGivesTransformersAnswers("mmlu");
    }

    @Test
    void cevalGivesTransformersAnswers() throws Exception {
        assertGivesTransformersAnswers("ceval");
    }

    @Test
    void arcGivesTransformersAnswers() throws Exception {
        assertGivesTransformersAnswers("arc");
    }

    @Test
    void hellaswagGivesTransformersAnswers() throws Exception {
        assertGivesTransformersAnswers("hellaswag");
    }

    @Test
    void cmmluGivesTransformersAnswers() throws Exception {
        assertGivesTransformersAnswers("cmmlu");
    }

    @Test
    void generalMcqGivesTransformersAnswers() throws Exception {
        assertGivesTransformersAnswers("general_mcq");
    }

    /**
     * {@code osprey eval --eval_dataset truthful_qa} over mc_task.json: every answer's log-likelihood after the QA
     * prompt, mc1 and mc2 as transformers and lm-eval-harness's formulas give them (tools/make-eval-more-fixtures.py).
     */
    @Test
    void truthfulQaGivesTransformersScores() throws Exception {
        Path out = home.resolve("truthful_qa-out");
        ChildProcess.Result eval = DistributionCliTest.ospreyIn(
                home,
                "eval",
                "--model",
                model.toString(),
                "--eval_dataset",
                "truthful_qa",
                "--dataset_args",
                JSON.writeValueAsString(Map.of(
                        "truthful_qa",
                        Map.of("local_path", FIXTURES.resolve("truthful_qa").toString()))),
                "--eval_output_dir",
                out.toString());
        assertEquals(0, eval.exit(), eval.out());
        JsonNode golden =
                JSON.readTree(FIXTURES.resolve("truthful_qa-golden.json").toFile());
        JsonNode result = JSON.readTree(out.resolve("eval_result.json").toFile());
        assertEquals(golden.path("mc1").asDouble(), result.at("/metrics/mc1").asDouble(), 1e-9, result.toString());
        assertEquals(golden.path("mc2").asDouble(), result.at("/metrics/mc2").asDouble(), 1e-5, result.toString());
        assertEachAnswer(result, golden, "truthful_qa question", (ours, theirs, where) -> {
            assertEquals(theirs.path("mc1").asBoolean(), ours.path("mc1").asBoolean(), where);
            for (String set : List.of("mc1_log_likelihoods", "mc2_log_likelihoods")) {
                assertNumbersClose(theirs.path(set), ours.path(set), where);
            }
        });
        assertTrue(eval.out().contains("| reference-qwen2 | truthful_qa"), eval.out());
    }

    /**
     * {@code osprey eval --eval_dataset ifeval}, two prompts generated together: transformers' greedy completions,
     * and for each instruction the strict and loose verdicts that IFEval's own rules give on them (computed in Python
     * by tools/make-eval-more-fixtures.py), so the four accuracies too.
     */
    @Test
    void ifevalJudgesTransformersCompletionsAsIfEvalDoes() throws Exception {
        JsonNode golden = JSON.readTree(FIXTURES.resolve("ifeval-golden.json").toFile());
        Path out = home.resolve("ifeval-out");
        ChildProcess.Result eval = DistributionCliTest.ospreyIn(home, generation("ifeval", golden, out));
        assertEquals(0, eval.exit(), eval.out());
        JsonNode result = JSON.readTree(out.resolve("eval_result.json").toFile());
        golden.path("metrics")
                .fields()
                .forEachRemaining(m -> assertEquals(
                        m.getValue().asDouble(),
                        result.path("metrics").path(m.getKey()).asDouble(-1),
                        1e-9,
                        m.getKey()));
        assertEachAnswer(result, golden, "ifeval prompt", (ours, theirs, where) -> {
            assertEquals(
                    theirs.path("completion").asText().strip(),
                    ours.path("completion").asText().strip(),
                    where);
            assertEquals(
                    theirs.path("follow_instruction_list_strict"), ours.path("follow_instruction_list_strict"), where);
            assertEquals(
                    theirs.path("follow_instruction_list_loose"), ours.path("follow_instruction_list_loose"), where);
        });
    }

    /**
     * {@code osprey eval --eval_dataset general_qa} over a query/response JSONL: transformers' greedy completions,
     * exact match (one response is its completion), ROUGE-L F1 and BLEU-1 as tools/make-eval-more-fixtures.py
     * computes them.
     */
    @Test
    void generalQaScoresTransformersCompletions() throws Exception {
        JsonNode golden =
                JSON.readTree(FIXTURES.resolve("general_qa-golden.json").toFile());
        Path out = home.resolve("general_qa-out");
        ChildProcess.Result eval = DistributionCliTest.ospreyIn(home, generation("general_qa", golden, out));
        assertEquals(0, eval.exit(), eval.out());
        JsonNode metrics =
                JSON.readTree(out.resolve("eval_result.json").toFile()).path("metrics");
        assertEquals(
                golden.path("exact_match").asDouble(),
                metrics.path("exact_match").asDouble(-1),
                1e-9);
        assertEquals(
                golden.path("rouge_l_f").asDouble(), metrics.path("rouge-l-f").asDouble(-1), 1e-9);
        assertEquals(golden.path("bleu_1").asDouble(), metrics.path("bleu-1").asDouble(-1), 1e-9);
        assertEquals(
                golden.path("exact_match").asDouble(),
                metrics.path("exact_match/tiny").asDouble(-1),
                1e-9);
        assertTrue(eval.out().contains("rouge-l-f"), eval.out());
    }

    /**
     * ms-swift's evaluation during training: {@code osprey sft --eval_use_evalscope --eval_dataset mmlu --eval_steps
     * 1} logs {@code eval_mmlu_acc} beside the loss at every step, and the score at the last step is what {@code
     * osprey eval} gives the last checkpoint's adapter on the same questions.
     */
    @Test
    void trainingLogsBenchmarkScoresBesideTheLoss() throws Exception {
        Path out = home.resolve("sft-benchmarks");
        String datasetArgs = JSON.writeValueAsString(
                Map.of("mmlu", Map.of("local_path", FIXTURES.resolve("mmlu").toString(), "few_shot_num", 1)));
        ChildProcess.Result sft = DistributionCliTest.ospreyIn(
                home,
                "sft",
                "--model",
                model.toString(),
                "--dataset",
                referenceDataset().toString(),
                "--train_type",
                "lora",
                "--learning_rate",
                "5e-2",
                "--max_steps",
                "2",
                "--logging_steps",
                "1",
                "--eval_steps",
                "1",
                "--eval_use_evalscope",
                "true",
                "--eval_dataset",
                "mmlu",
                "--eval_dataset_args",
                datasetArgs,
                "--eval_limit",
                "2",
                "--output_dir",
                out.toString());
        assertEquals(0, sft.exit(), sft.out());
        List<String> logged = Files.readAllLines(out.resolve("logging.jsonl"));
        assertEquals(2, logged.size(), String.join("\n", logged));
        for (String line : logged) {
            JsonNode step = JSON.readTree(line);
            assertTrue(step.has("loss") && step.path("eval_mmlu_acc").isNumber(), line);
        }
        assertTrue(Files.isRegularFile(out.resolve("loss.png")), sft.out());

        Path check = home.resolve("sft-benchmarks-check");
        ChildProcess.Result eval = DistributionCliTest.ospreyIn(
                home,
                "eval",
                "--model",
                model.toString(),
                "--adapters",
                out.resolve("checkpoint-2").toString(),
                "--eval_dataset",
                "mmlu",
                "--dataset_args",
                datasetArgs,
                "--eval_limit",
                "2",
                "--eval_output_dir",
                check.toString());
        assertEquals(0, eval.exit(), eval.out());
        JsonNode result = JSON.readTree(check.resolve("eval_result.json").toFile());
        assertEquals(
                result.at("/metrics/acc").asDouble(),
                JSON.readTree(logged.get(1)).path("eval_mmlu_acc").asDouble(),
                1e-12,
                logged.get(1));
        // the per-question answers of both runs are the same
        List<String> separate =
                Files.readAllLines(Path.of(result.path("details").asText()));
        List<String> during = Files.readAllLines(out.resolve("eval/step-2/mmlu/eval_details.jsonl"));
        assertEquals(separate.size(), during.size());
        for (int i = 0; i < separate.size(); i++) {
            assertEquals(
                    JSON.readTree(separate.get(i)).path("predicted"),
                    JSON.readTree(during.get(i)).path("predicted"),
                    during.get(i));
        }
    }

    /** {@code osprey eval} of a generation benchmark on the digit model, greedy for the golden's tokens, two at a time. */
    private static String[] generation(String benchmark, JsonNode golden, Path out) throws IOException {
        return new String[] {
            "eval",
            "--model",
            digitModel.toString(),
            "--eval_dataset",
            benchmark,
            "--dataset_args",
            JSON.writeValueAsString(Map.of(
                    benchmark, Map.of("local_path", FIXTURES.resolve(benchmark).toString()))),
            "--eval_generation_config",
            "{\"max_tokens\": " + golden.path("max_tokens").asInt() + ", \"temperature\": 0}",
            "--eval_batch_size",
            "2",
            "--eval_output_dir",
            out.toString()
        };
    }

    /**
     * {@code osprey eval --eval_dataset BENCHMARK} over the fixture in the benchmark's published layout, with one
     * answered example: every answer and label log-likelihood is transformers' (tools/make-eval-fixtures.py).
     */
    private static void assertGivesTransformersAnswers(String benchmark) throws Exception {
        Path out = home.resolve(benchmark + "-out");
        String datasetArgs = JSON.writeValueAsString(Map.of(
                benchmark, Map.of("local_path", FIXTURES.resolve(benchmark).toString(), "few_shot_num", 1)));
        ChildProcess.Result eval = DistributionCliTest.ospreyIn(
                home,
                "eval",
                "--model",
                model.toString(),
                "--eval_dataset",
                benchmark,
                "--dataset_args",
                datasetArgs,
                "--eval_output_dir",
                out.toString());
        assertEquals(0, eval.exit(), eval.out());

        JsonNode golden =
                JSON.readTree(FIXTURES.resolve(benchmark + "-golden.json").toFile());
        JsonNode result = JSON.readTree(out.resolve("eval_result.json").toFile());
        assertEquals(golden.path("acc").asDouble(), result.at("/metrics/acc").asDouble(), 1e-9, result.toString());
        assertEquals(
                golden.path("acc_norm").asDouble(-1),
                result.at("/metrics/acc_norm").asDouble(-1),
                1e-9,
                result.toString());
        assertEquals(
                golden.path("answers").size(), result.at("/metrics/questions").asInt(), result.toString());
        // EvalScope's report and table: the accuracy per subject and over all, micro-averaged
        JsonNode evalScope = JSON.readTree(
                out.resolve("reports/reference-qwen2/" + benchmark + ".json").toFile());
        assertEquals(benchmark, evalScope.path("dataset_name").asText(), evalScope.toString());
        assertEquals("reference-qwen2", evalScope.path("model_name").asText(), evalScope.toString());
        JsonNode acc = evalScope.at("/metrics/0");
        assertEquals("acc", acc.path("name").asText(), evalScope.toString());
        assertEquals(golden.path("answers").size(), acc.path("num").asInt(), evalScope.toString());
        assertEquals(golden.path("acc").asDouble(), acc.path("score").asDouble(), 1e-4, evalScope.toString());
        int subsetQuestions = 0;
        for (JsonNode subset : acc.at("/categories/0/subsets")) {
            subsetQuestions += subset.path("num").asInt();
            assertEquals(
                    result.at("/metrics/acc~1" + subset.path("name").asText()).asDouble(),
                    subset.path("score").asDouble(),
                    1e-4,
                    evalScope.toString());
        }
        assertEquals(golden.path("answers").size(), subsetQuestions, evalScope.toString());
        assertTrue(
                eval.out().contains("| Model ") && eval.out().contains("| reference-qwen2 | " + benchmark), eval.out());

        assertEachAnswer(result, golden, benchmark + " question", (ours, theirs, where) -> {
            assertEquals(theirs.path("subject").asText(), ours.path("subject").asText(), where);
            assertEquals(
                    theirs.path("predicted").asText(), ours.path("predicted").asText(), where);
            assertEquals(
                    theirs.path("predicted_norm").asText(),
                    ours.path("predicted_norm").asText(),
                    where);
            assertNumbersClose(theirs.path("log_likelihoods"), ours.path("log_likelihoods"), where);
        });
    }

    /**
     * {@code osprey eval --eval_dataset gsm8k}, two problems generated together, on the reference checkpoint with a
     * digit-level tokenizer: every completion is transformers' greedy one cut at lm-eval-harness's stop strings, and
     * both answer filters extract what lm-eval-harness's regular expressions extract (tools/make-eval-fixtures.py).
     * A second run into the same folder after a stop keeps the answers the first one wrote and asks only the rest.
     */
    @Test
    void gsm8kGivesTransformersCompletionsAndResumes() throws Exception {
        Path out = home.resolve("gsm8k-out");
        String[] command = gsm8k(digitModel.toString(), out, "--eval_batch_size", "2");
        ChildProcess.Result eval = DistributionCliTest.ospreyIn(home, command);
        assertEquals(0, eval.exit(), eval.out());
        List<String> details = assertGsm8kAnswers(out);

        // a run stopped after two answers left them in the .partial file: the next run keeps them as written
        Path resumed = home.resolve("gsm8k-resumed");
        Files.createDirectories(resumed);
        StringBuilder partial = new StringBuilder();
        for (int i = 0; i < 2; i++) {
            ObjectNode kept = (ObjectNode) JSON.readTree(details.get(i));
            kept.put("completion", "kept from the stopped run");
            partial.append(JSON.writeValueAsString(kept)).append('\n');
        }
        Files.writeString(resumed.resolve("eval_details.jsonl.partial"), partial + "{\"subset\": \"ma");
        command[command.length - 1] = resumed.toString();
        ChildProcess.Result again = DistributionCliTest.ospreyIn(home, command);
        assertEquals(0, again.exit(), again.out());
        List<String> resumedDetails = Files.readAllLines(resumed.resolve("eval_details.jsonl"));
        assertEquals(details.size(), resumedDetails.size(), String.join("\n", resumedDetails));
        for (int i = 0; i < details.size(); i++) {
            JsonNode line = JSON.readTree(resumedDetails.get(i));
            String expected = i < 2
                    ? "kept from the stopped run"
                    : JSON.readTree(details.get(i)).path("completion").asText();
            assertEquals(expected, line.path("completion").asText(), "resumed problem " + i);
        }
    }

    /**
     * The same GSM8K problems asked of {@code osprey deploy} serving the model, three requests in flight ({@code
     * --eval_url}): the server's greedy completions are transformers' too.
     */
    @Test
    void gsm8kOverEvalUrlAsksTheServer() throws Exception {
        int port = TestPlatform.freePort();
        try (ChildProcess deploy = ChildProcess.start(new ProcessBuilder(
                        home.resolve("bin/osprey").toString(),
                        "deploy",
                        "--model",
                        digitModel.toString(),
                        "--served_model_name",
                        "digits",
                        "--port",
                        Integer.toString(port))
                .redirectOutput(home.resolve("deploy.log").toFile()))) {
            assertNotNull(
                    TestPlatform.waitFor(120_000, () -> JsonHttp.get("http://127.0.0.1:" + port + "/health")),
                    () -> "deploy did not start:\n" + read(home.resolve("deploy.log")));
            Path out = home.resolve("gsm8k-remote");
            ChildProcess.Result eval = DistributionCliTest.ospreyIn(
                    home,
                    gsm8k("digits", out, "--eval_url", "http://127.0.0.1:" + port + "/v1", "--eval_batch_size", "3"));
            assertEquals(0, eval.exit(), eval.out());
            assertGsm8kAnswers(out);
            deploy.stop(Duration.ofSeconds(20));
        }
    }

    /** {@code osprey eval} on the GSM8K fixture as the golden run asked it, into {@code out}. */
    private static String[] gsm8k(String model, Path out, String... more) throws IOException {
        JsonNode golden = JSON.readTree(FIXTURES.resolve("gsm8k-golden.json").toFile());
        String datasetArgs = JSON.writeValueAsString(Map.of(
                "gsm8k",
                Map.of(
                        "local_path",
                        FIXTURES.resolve("gsm8k").toString(),
                        "few_shot_num",
                        golden.path("few_shot_num"))));
        String generation = "{\"max_tokens\": " + golden.path("max_tokens").asInt() + ", \"temperature\": 0}";
        List<String> command = new ArrayList<>(List.of(
                "eval",
                "--model",
                model,
                "--eval_dataset",
                "gsm8k",
                "--dataset_args",
                datasetArgs,
                "--eval_generation_config",
                generation));
        command.addAll(List.of(more));
        command.addAll(List.of("--eval_output_dir", out.toString()));
        return command.toArray(String[]::new);
    }

    /** The run into {@code out} gave transformers' completions, both filters' answers and accuracies; its details. */
    private static List<String> assertGsm8kAnswers(Path out) throws IOException {
        JsonNode golden = JSON.readTree(FIXTURES.resolve("gsm8k-golden.json").toFile());
        JsonNode result = JSON.readTree(out.resolve("eval_result.json").toFile());
        assertEquals(golden.path("acc").asDouble(), result.at("/metrics/acc").asDouble(), 1e-9, result.toString());
        assertEquals(
                golden.path("acc_flexible").asDouble(),
                result.at("/metrics/acc_flexible-extract").asDouble(),
                1e-9,
                result.toString());
        return assertEachAnswer(result, golden, "gsm8k problem", (ours, theirs, where) -> {
            // a server's text continues the prompt's, so it may begin with the space a word-level tokenizer puts
            assertEquals(
                    theirs.path("completion").asText().strip(),
                    ours.path("completion").asText().strip(),
                    where);
            assertEquals(theirs.path("extracted"), ours.path("extracted"), where);
            assertEquals(theirs.path("correct"), ours.path("correct"), where);
        });
    }

    /** What a test asserts of one line of our eval_details.jsonl beside the golden's answer of the same index. */
    @FunctionalInterface
    private interface AnswerCheck {
        void check(JsonNode ours, JsonNode theirs, String where);
    }

    /**
     * Checks that the result's eval_details.jsonl has one line per golden answer, and each line against the answer
     * of its index; {@code where} names the {@code what} and index and shows both. Returns the lines.
     */
    private static List<String> assertEachAnswer(JsonNode result, JsonNode golden, String what, AnswerCheck check)
            throws IOException {
        List<String> details = Files.readAllLines(Path.of(result.path("details").asText()));
        assertEquals(golden.path("answers").size(), details.size());
        for (int i = 0; i < details.size(); i++) {
            JsonNode ours = JSON.readTree(details.get(i));
            JsonNode theirs = golden.path("answers").get(i);
            check.check(ours, theirs, what + " " + i + ": " + ours + " vs transformers' " + theirs);
        }
        return details;
    }

    /** Two JSON arrays of log-likelihoods, the same length and each number within 1e-4. */
    private static void assertNumbersClose(JsonNode theirs, JsonNode ours, String where) {
        assertEquals(theirs.size(), ours.size(), where);
        for (int c = 0; c < theirs.size(); c++) {
            assertEquals(theirs.get(c).asDouble(), ours.get(c).asDouble(), 1e-4, where);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no " + file + ")";
        }
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
