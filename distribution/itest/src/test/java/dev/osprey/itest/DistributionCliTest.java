package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.itest.ChildProcess.Result;

/**
 * The built distribution as a user runs it: the {@code osprey} script, the exported jar, a real
 * server on loopback, and the hot-deploy sequence of the README replayed against it.
 */
class DistributionCliTest {

    @TempDir
    static Path home;

    @BeforeAll
    static void layOutHome() throws IOException {
        layOutHome(home);
    }

    /** A private Osprey home in {@code home} (its own conf/ and plugins/) sharing the built lib/osprey.jar. */
    static void layOutHome(Path home) throws IOException {
        Path dist = TestPlatform.root().resolve("distribution/target/osprey");
        Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve("lib"));
        Files.createDirectories(home.resolve("plugins"));
        Files.copy(dist.resolve("bin/osprey"), home.resolve("bin/osprey"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createSymbolicLink(home.resolve("lib/osprey.jar"), dist.resolve("lib/osprey.jar"));
        Files.createSymbolicLink(home.resolve("demo"), dist.resolve("demo"));
        Files.createDirectories(home.resolve("conf"));
        try (var files = Files.list(dist.resolve("conf"))) {
            for (Path f : files.toList()) {
                Files.copy(f, home.resolve("conf").resolve(f.getFileName()));
            }
        }
    }

    /**
     * A hung command fails its test after this instead of hanging the build. Generous: the longest command here
     * (300 training steps, about 10 s alone) took over 3 minutes on this 2-core machine beside two other builds.
     */
    static final Duration OSPREY_TIMEOUT = Duration.ofMinutes(10);

    static Result osprey(String... args) throws Exception {
        return ospreyIn(home, args);
    }

    /** {@code osprey args} of the Osprey home laid out in {@code ospreyHome}. */
    static Result ospreyIn(Path ospreyHome, String... args) throws Exception {
        List<String> command =
                new ArrayList<>(List.of(ospreyHome.resolve("bin/osprey").toString()));
        command.addAll(List.of(args));
        return ChildProcess.run(new ProcessBuilder(command), OSPREY_TIMEOUT);
    }

    @Test
    void pluginsListsTheBuiltInExtensions() throws Exception {
        Result r = osprey("plugins", "--local");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("hardware-target:cpu"), r.out());
        assertTrue(r.out().contains("hardware-target:cuda"), r.out());
        // the platform starts without a complaint: the composed (vision-language) architectures once bound one
        // another, a cycle SCR logged as an error on some starts and not on others
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("[ERROR]") || l.startsWith("[WARN")), r.out());
    }

    @Test
    void anUnknownCommandOrOptionPrintsUsageAndFails() throws Exception {
        Result command = osprey("frobnicate");
        assertEquals(2, command.exit(), command.out());
        assertTrue(
                command.out().contains("Unmatched argument")
                        && command.out().contains("Usage: osprey")
                        && command.out().contains("Did you mean"),
                command.out());
        Result option = osprey("plugins", "--frobnicate");
        assertEquals(2, option.exit(), option.out());
        assertTrue(option.out().contains("Unknown option: '--frobnicate'"), option.out());
    }

    @Test
    void anUnavailableDeviceIsAClearError() throws Exception {
        Result r = osprey("devices", "--device", "cuda:0");
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.out().contains("--device cuda:0 is not available"), r.out());
        Result cpu = osprey("devices", "--device", "cpu");
        assertEquals(0, cpu.exit(), cpu.out());
        assertTrue(cpu.out().contains("--device cpu: cpu is usable"), cpu.out());
    }

    @Test
    void createAModelThenComputeLogitsLossAndGreedyTokens() throws Exception {
        Path model = home.resolve("tiny-qwen2");
        Result created = osprey(
                "create-model", "--model_type", "qwen2", "--eos_token_id", "7", "--output_dir", model.toString());
        assertEquals(0, created.exit(), created.out());
        assertTrue(Files.isRegularFile(model.resolve("model.safetensors"))
                && Files.isRegularFile(model.resolve("config.json")));
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals(
                7,
                mapper.readTree(model.resolve("config.json").toFile())
                        .path("eos_token_id")
                        .asInt());
        assertEquals(
                7,
                mapper.readTree(model.resolve("generation_config.json").toFile())
                        .path("eos_token_id")
                        .asInt());

        Path out = home.resolve("logits.json");
        Result logits = osprey(
                "logits",
                "--model",
                model.toString(),
                "--input_ids",
                "[[1,2,3],[4,5,6]]",
                "--labels",
                "[[1,2,3],[4,5,-100]]",
                "--output",
                out.toString());
        assertEquals(0, logits.exit(), logits.out());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toFile());
        assertEquals("[2,3,256]", json.get("shape").toString());
        assertEquals(256, json.get("logits").get(1).get(2).size());
        double loss = json.get("loss").asDouble();
        assertTrue(loss > 0 && loss < 20, "loss " + loss);

        Result generated = osprey(
                "generate",
                "--model",
                model.toString(),
                "--input_ids",
                "[[1,2,3],[9]]",
                "--max_new_tokens",
                "5",
                "--do_sample",
                "false");
        assertEquals(0, generated.exit(), generated.out());
        assertTrue(
                generated.out().contains("row 0 new token ids: [")
                        && generated.out().contains("row 1 new token ids: ["),
                generated.out());
        // greedy decoding is deterministic: the same command gives the same tokens
        assertEquals(
                generated.out().lines().filter(l -> l.startsWith("row")).toList(),
                osprey(
                                "generate",
                                "--model",
                                model.toString(),
                                "--input_ids",
                                "[[1,2,3],[9]]",
                                "--max_new_tokens",
                                "5",
                                "--do_sample",
                                "false")
                        .out()
                        .lines()
                        .filter(l -> l.startsWith("row"))
                        .toList());

        Result ragged = osprey("logits", "--model", model.toString(), "--input_ids", "[[1,2,3],[4]]");
        assertEquals(2, ragged.exit(), ragged.out());
        assertTrue(ragged.out().contains("pad the rows and pass --attention_mask"), ragged.out());
        Files.writeString(
                model.resolve("config.json"),
                Files.readString(model.resolve("config.json"))
                        .replace("\"qwen2\"", "\"nosuchmodel\"")
                        .replace("Qwen2ForCausalLM", "NoSuchForCausalLM"));
        Result unknown = osprey("logits", "--model", model.toString(), "--input_ids", "[[1]]");
        assertEquals(2, unknown.exit(), unknown.out());
        assertTrue(
                unknown.out().contains("no installed architecture runs model_type 'nosuchmodel'")
                        && unknown.out().contains("installed: " + String.join(", ", installedArchitectures()))
                        && unknown.out().contains("docs/writing-a-plugin.md"),
                unknown.out());
    }

    /** The architectures the registry of this distribution lists ({@code osprey plugins --json}), sorted by name. */
    private static List<String> installedArchitectures() throws Exception {
        Result plugins = osprey("plugins", "--local", "--json");
        assertEquals(0, plugins.exit(), plugins.out());
        List<String> names = new ArrayList<>();
        for (var plugin : new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(plugins.out())
                .path("plugins")) {
            for (var extension : plugin.path("extensions")) {
                if (extension.path("kind").asText().equals("model-architecture")) {
                    names.add(extension.path("name").asText());
                }
            }
        }
        assertTrue(names.contains("qwen2"), "the registry lists the architectures: " + plugins.out());
        return names.stream().sorted().toList();
    }

    /** The commands a model developer runs reproduce Hugging Face transformers' own numbers (tools/make-reference-fixtures.py). */
    @Test
    void logitsAndGenerateReproduceTransformersOnAReferenceCheckpoint() throws Exception {
        Path fixture = Path.of("../../plugins-models/qwen/src/test/resources/reference/qwen2")
                .toAbsolutePath()
                .normalize();
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var ref = mapper.readTree(fixture.resolve("reference.json").toFile());
        Path out = home.resolve("reference-logits.json");
        Result logits = osprey(
                "logits",
                "--model",
                fixture.toString(),
                "--adapters",
                fixture.resolve("adapter").toString(),
                "--input_ids",
                ref.get("input_ids").toString(),
                "--attention_mask",
                ref.get("attention_mask").toString(),
                "--labels",
                ref.get("labels").toString(),
                "--output",
                out.toString());
        assertEquals(0, logits.exit(), logits.out());
        var json = mapper.readTree(out.toFile());
        var lora = ref.get("lora");
        assertEquals(
                lora.get("loss").asDouble(),
                json.get("loss").asDouble(),
                1e-4,
                "loss with the adapter, as transformers computed it");
        for (int t = 0; t < 12; t++) { // row 0 has no padding
            for (int v = 0; v < 128; v += 7) {
                assertEquals(
                        lora.get("logits").get("values").get(0).get(t).get(v).asDouble(),
                        json.get("logits").get(0).get(t).get(v).asDouble(),
                        1e-3,
                        "logit [0, " + t + ", " + v + "]");
            }
        }
        Result generated = osprey(
                "generate",
                "--model",
                fixture.toString(),
                "--input_ids",
                ref.get("input_ids").get(0).toString().replace("[", "[[").replace("]", "]]"),
                "--max_new_tokens",
                "8",
                "--do_sample",
                "false");
        assertEquals(0, generated.exit(), generated.out());
        assertTrue(
                generated
                        .out()
                        .contains("row 0 new token ids: "
                                + ref.get("greedy")
                                        .get("tokens")
                                        .get(0)
                                        .toString()
                                        .replace(",", ", ")),
                generated.out() + " expected " + ref.get("greedy").get("tokens").get(0));
    }

    @Test
    void generateFromAChatThroughATemplateAndATokenizer() throws Exception {
        // a word-level tokenizer in the real tokenizer.json format, with ChatML's special tokens
        String tokenizer = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
                + "{\"id\":1,\"content\":\"<|im_start|>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                + "\"normalized\":false,\"special\":true},{\"id\":2,\"content\":\"<|im_end|>\",\"single_word\":false,"
                + "\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}],\"normalizer\":null,"
                + "\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,\"model\":"
                + "{\"type\":\"WordLevel\",\"vocab\":{\"<unk>\":0,\"<|im_start|>\":1,\"<|im_end|>\":2,\"user\":3,"
                + "\"assistant\":4,\"hello\":5},\"unk_token\":\"<unk>\"}}";
        Path tokenizerFile = home.resolve("tokenizer.json");
        Files.writeString(tokenizerFile, tokenizer);
        Path model = home.resolve("tiny-chat");
        assertEquals(
                0,
                osprey(
                                "create-model",
                                "--model_type",
                                "qwen3",
                                "--tokenizer",
                                tokenizerFile.toString(),
                                "--output_dir",
                                model.toString())
                        .exit());
        Result chat = osprey(
                "generate",
                "--model",
                model.toString(),
                "--prompt",
                "hello",
                "--chat",
                "--template",
                "chatml",
                "--max_new_tokens",
                "3",
                "--do_sample",
                "false");
        assertEquals(0, chat.exit(), chat.out());
        assertTrue(chat.out().contains("row 0 new token ids: [") && chat.out().contains("row 0 text:"), chat.out());
        Result noTemplate = osprey("generate", "--model", model.toString(), "--prompt", "hello", "--chat");
        assertEquals(2, noTemplate.exit(), noTemplate.out());
        assertTrue(
                noTemplate.out().contains("has no chat_template")
                        && noTemplate.out().contains("--template"),
                noTemplate.out());
    }

    /**
     * An example's reference checkpoint (config, weights, transformers' outputs) copied to {@code model}, with a
     * word-level tokenizer over its {@code vocab} ids: ChatML's markers at 1 and 2 (the checkpoint's BOS and EOS),
     * the roles, and {@code wN} for the rest.
     */
    static Path referenceCheckpointWithTokenizer(Path fixture, Path model, int vocab) throws IOException {
        Files.createDirectories(model);
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors", "reference.json")) {
            Files.copy(fixture.resolve(f), model.resolve(f));
        }
        List<String> words =
                new ArrayList<>(List.of("<unk>", "<|im_start|>", "<|im_end|>", "user", "assistant", "system"));
        for (int i = words.size(); i < vocab; i++) {
            words.add("w" + i);
        }
        Files.writeString(model.resolve("tokenizer.json"), chatWordTokenizer(words));
        return model;
    }

    /**
     * A word-level tokenizer in the real tokenizer.json format: {@code words} numbered in order, split at
     * whitespace, with ChatML's markers as special tokens at ids 1 and 2.
     */
    static String chatWordTokenizer(List<String> words) {
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < words.size(); i++) {
            vocab.append(i == 0 ? "" : ",")
                    .append('"')
                    .append(words.get(i))
                    .append("\":")
                    .append(i);
        }
        String special = "{\"id\":%d,\"content\":\"%s\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                + "\"normalized\":false,\"special\":true}";
        return "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
                + "\"added_tokens\":[" + String.format(special, 1, "<|im_start|>") + ","
                + String.format(special, 2, "<|im_end|>")
                + "],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"<unk>\"}}";
    }

    @Test
    void loraFineTuningThenGenerationWithTheAdapter() throws Exception {
        String[][] qa = {
            {"capital of france", "paris"},
            {"capital of italy", "rome"},
            {"colour of the sky", "blue"},
            {"two plus two", "four"}
        };
        java.util.List<String> words = new java.util.ArrayList<>(
                java.util.List.of("<unk>", "<|im_start|>", "<|im_end|>", "user", "assistant", "system"));
        StringBuilder jsonl = new StringBuilder();
        for (String[] pair : qa) {
            for (String w : (pair[0] + " " + pair[1]).split(" ")) {
                if (!words.contains(w)) {
                    words.add(w);
                }
            }
            jsonl.append("{\"query\": \"")
                    .append(pair[0])
                    .append("\", \"response\": \"")
                    .append(pair[1])
                    .append("\"}\n");
        }
        Files.writeString(home.resolve("qa-tokenizer.json"), chatWordTokenizer(words));
        Files.writeString(home.resolve("qa.jsonl"), jsonl);
        Path model = home.resolve("qa-model");
        Result created = osprey(
                "create-model",
                "--model_type",
                "qwen2",
                "--vocab_size",
                "24",
                "--hidden_size",
                "64",
                "--intermediate_size",
                "128",
                "--tie_word_embeddings",
                "false",
                "--initializer_range",
                "0.1",
                "--tokenizer",
                home.resolve("qa-tokenizer.json").toString(),
                "--output_dir",
                model.toString());
        assertEquals(0, created.exit(), created.out());

        Path out = home.resolve("qa-sft");
        Result sft = osprey(
                "sft",
                "--model",
                model.toString(),
                "--dataset",
                home.resolve("qa.jsonl").toString(),
                "--template",
                "chatml",
                "--train_type",
                "lora",
                "--lora_rank",
                "8",
                "--lora_alpha",
                "16",
                "--learning_rate",
                "1e-2",
                "--per_device_train_batch_size",
                "4",
                "--max_steps",
                "80",
                "--logging_steps",
                "20",
                "--output_dir",
                out.toString());
        assertEquals(0, sft.exit(), sft.out());
        assertTrue(sft.out().contains("step 80/80"), sft.out());
        assertEquals(4, Files.readAllLines(out.resolve("logging.jsonl")).size());
        Path adapter = out.resolve("checkpoint-80");
        assertTrue(Files.isRegularFile(adapter.resolve("adapter_model.safetensors"))
                && Files.isRegularFile(adapter.resolve("adapter_config.json")));
        for (String[] pair : qa) {
            Result answer = osprey(
                    "generate",
                    "--model",
                    model.toString(),
                    "--adapters",
                    adapter.toString(),
                    "--prompt",
                    pair[0],
                    "--chat",
                    "--template",
                    "chatml",
                    "--max_new_tokens",
                    "4",
                    "--stop_token_ids",
                    "2");
            assertTrue(answer.out().contains("row 0 text: " + pair[1]), pair[0] + " -> " + answer.out());
        }
        // killed with SIGKILL mid-run, resumed from its last checkpoint: the losses equal an uninterrupted run's
        List<String> common = List.of(
                "sft",
                "--model",
                model.toString(),
                "--dataset",
                home.resolve("qa.jsonl").toString(),
                "--template",
                "chatml",
                "--lora_rank",
                "8",
                "--lora_alpha",
                "16",
                "--learning_rate",
                "1e-2",
                "--per_device_train_batch_size",
                "3",
                "--max_steps",
                "300",
                "--logging_steps",
                "10",
                "--save_steps",
                "20",
                "--save_total_limit",
                "2");
        Path whole = home.resolve("qa-whole");
        List<String> wholeArgs = new ArrayList<>(common);
        wholeArgs.addAll(List.of("--output_dir", whole.toString()));
        assertEquals(0, osprey(wholeArgs.toArray(new String[0])).exit());
        Path killed = home.resolve("qa-killed");
        List<String> command =
                new ArrayList<>(List.of(home.resolve("bin/osprey").toString()));
        command.addAll(common);
        command.addAll(List.of("--output_dir", killed.toString()));
        try (ChildProcess run = ChildProcess.start(new ProcessBuilder(command)
                .redirectOutput(home.resolve("killed.log").toFile()))) {
            // kill as soon as a first checkpoint exists (older ones are pruned, so any will do)
            TestPlatform.waitFor(120_000, () -> !run.isAlive() || hasCheckpoint(killed) ? Boolean.TRUE : null);
            if (!run.isAlive()) {
                throw new AssertionError(
                        "the run ended before it could be killed:\n" + Files.readString(home.resolve("killed.log")));
            }
            assertTrue(
                    hasCheckpoint(killed),
                    "no checkpoint within 120 s:\n" + Files.readString(home.resolve("killed.log")));
            run.kill(); // the JVM itself (the launcher script's child) too, as a crash would
        }
        String last;
        try (var listing = Files.list(killed)) {
            last = listing.map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("checkpoint-\\d+"))
                    .max(java.util.Comparator.comparingInt(n -> Integer.parseInt(n.substring(11))))
                    .orElseThrow();
        }
        assertTrue(Integer.parseInt(last.substring(11)) < 300, "the run was killed before its end: " + last);
        List<String> resumeArgs = new ArrayList<>(common);
        resumeArgs.addAll(List.of(
                "--output_dir",
                killed.toString(),
                "--resume_from_checkpoint",
                killed.resolve(last).toString()));
        Result resumed = osprey(resumeArgs.toArray(new String[0]));
        assertEquals(0, resumed.exit(), resumed.out());
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.Map<Long, Double> expected = new java.util.HashMap<>();
        for (String line : Files.readAllLines(whole.resolve("logging.jsonl"))) {
            var n = json.readTree(line);
            expected.put(n.get("step").asLong(), n.get("loss").asDouble());
        }
        int compared = 0;
        for (String line : Files.readAllLines(killed.resolve("logging.jsonl"))) {
            var n = json.readTree(line);
            // another process, killed mid-run: still the same bits (ReproducibleTrainingTest)
            assertEquals(
                    expected.get(n.get("step").asLong()), n.get("loss").asDouble(), 0, "loss at step " + n.get("step"));
            compared++;
        }
        assertTrue(compared >= 30, "logged steps compared: " + compared);
        assertEquals(
                expected.get(300L),
                json.readTree(Files.readAllLines(killed.resolve("logging.jsonl"))
                                .get(compared - 1))
                        .get("loss")
                        .asDouble(),
                0);

        Result contradiction = osprey(
                "sft",
                "--model",
                model.toString(),
                "--dataset",
                home.resolve("qa.jsonl").toString(),
                "--train_type",
                "full",
                "--adapters",
                adapter.toString(),
                "--output_dir",
                out.toString());
        assertEquals(2, contradiction.exit(), contradiction.out());
        assertTrue(contradiction.out().contains("contradict"), contradiction.out());
    }

    @Test
    void theBuiltInDemoFineTunesOnItsDefaultsThenExportsAMergedModel() throws Exception {
        Path out = home.resolve("demo-sft");
        Result sft = osprey("sft", "--output_dir", out.toString());
        assertEquals(0, sft.exit(), sft.out());
        assertTrue(sft.out().contains("step 300/300") && sft.out().contains("step 300  eval_loss"), sft.out());
        assertTrue(Files.size(out.resolve("loss.png")) > 10_000, "the loss plot");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> log = Files.readAllLines(out.resolve("logging.jsonl"));
        double first = json.readTree(log.get(0)).get("loss").asDouble();
        double last = json.readTree(log.get(log.size() - 1)).get("loss").asDouble();
        assertTrue(first > 1.0 && last < 0.2, "training loss " + first + " -> " + last);

        Path adapter = out.resolve("checkpoint-300");
        Path base = home.resolve("demo/tiny-chat");
        Result export =
                osprey("export", "--model", base.toString(), "--adapters", adapter.toString(), "--merge_lora", "true");
        assertEquals(0, export.exit(), export.out());
        Path merged = out.resolve("checkpoint-300-merged");
        for (String question : List.of("what is the capital of france ?", "what is two plus three ?")) {
            Result viaAdapter = osprey(
                    "generate",
                    "--model",
                    base.toString(),
                    "--adapters",
                    adapter.toString(),
                    "--prompt",
                    question,
                    "--chat",
                    "--max_new_tokens",
                    "10");
            Result viaMerged = osprey(
                    "generate", "--model", merged.toString(), "--prompt", question, "--chat", "--max_new_tokens", "10");
            assertEquals(0, viaMerged.exit(), viaMerged.out());
            String answer = viaAdapter
                    .out()
                    .lines()
                    .filter(l -> l.startsWith("row 0 text:"))
                    .findFirst()
                    .orElseThrow();
            assertEquals(
                    answer,
                    viaMerged
                            .out()
                            .lines()
                            .filter(l -> l.startsWith("row 0 text:"))
                            .findFirst()
                            .orElseThrow());
        }
    }

    @Test
    void aConfigFileAndCommandLineOptionsCombineAndMistakesAreNamed() throws Exception {
        Path config = home.resolve("pt.yaml");
        Files.writeString(
                config,
                "model_name_or_path: " + home.resolve("demo/tiny-chat") + "\ntrain_dataset: "
                        + home.resolve("demo/data/corpus.jsonl")
                        + "\ntrain_type: full\nmax_steps: 50\nsave_steps: 0\nlogging_steps: 1\n");
        Path out = home.resolve("pt-out");
        Result pt = osprey("pt", "--config", config.toString(), "--max_steps", "3", "--output_dir", out.toString());
        assertEquals(0, pt.exit(), pt.out());
        assertTrue(pt.out().contains("step 3/3"), "the command line overrides the file:\n" + pt.out());
        assertEquals(
                "full",
                new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(out.resolve("args.json").toFile())
                        .get("train_type")
                        .asText());

        Files.writeString(config, Files.readString(config) + "lora_rnak: 4\n");
        Result typo = osprey("pt", "--config", config.toString(), "--output_dir", out.toString());
        assertEquals(2, typo.exit(), typo.out());
        assertTrue(typo.out().contains("unknown argument 'lora_rnak'; did you mean 'lora_rank'?"), typo.out());
        Result contradiction =
                osprey("sft", "--train_type", "full", "--quant_bits", "4", "--output_dir", out.toString());
        assertEquals(2, contradiction.exit(), contradiction.out());
        assertTrue(contradiction.out().contains("contradicts --train_type full"), contradiction.out());
    }

    /** The README's GRPO example exactly as written there (DIR the demo model, out a fresh folder) runs on its defaults. */
    @Test
    void theReadmeGrpoExampleRunsAsWritten() throws Exception {
        List<String> example = readmeCommand("$OSPREY/bin/osprey rlhf --rlhf_type grpo ");
        Path prompts = home.resolve("prompts.jsonl");
        Files.writeString(
                prompts,
                "{\"query\": \"what is two plus two ?\", \"solution\": \"four\"}\n"
                        + "{\"query\": \"what is the capital of france ?\", \"solution\": \"paris\"}\n");
        Path out = home.resolve("grpo-readme");
        List<String> args = new ArrayList<>();
        for (String word : example.subList(1, example.size())) {
            args.add(
                    switch (word) {
                        case "DIR" -> home.resolve("demo/tiny-chat").toString();
                        case "prompts.jsonl" -> prompts.toString();
                        case "out" -> out.toString();
                        default -> word;
                    });
        }
        Result grpo = osprey(args.toArray(new String[0]));
        assertEquals(0, grpo.exit(), String.join(" ", args) + "\n" + grpo.out());
        assertTrue(grpo.out().contains("on 2 prompts, 4 completions each, 2 steps"), grpo.out());
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals(
                4,
                json.readTree(out.resolve("args.json").toFile())
                        .get("per_device_train_batch_size")
                        .asInt(),
                "one group of --num_generations completions per step");
        List<String> log = Files.readAllLines(out.resolve("logging.jsonl"));
        var last = json.readTree(log.get(log.size() - 1));
        assertTrue(last.has("rewards/accuracy/mean") && last.has("rewards/format/mean"), log.toString());
        assertTrue(Files.isRegularFile(out.resolve("checkpoint-2/adapter_model.safetensors")), "the trained adapter");
    }

    /** The command of the README that starts with {@code prefix}: continuation lines joined, the trailing comment cut, split into words. */
    private static List<String> readmeCommand(String prefix) throws IOException {
        String readme = Files.readString(TestPlatform.root().resolve("README.md"));
        int start = readme.indexOf(prefix);
        assertTrue(start >= 0, "README.md has no command starting with " + prefix);
        StringBuilder command = new StringBuilder();
        for (String line : readme.substring(start).split("\n")) {
            String code = line.replaceFirst("\\s+#.*$", "").strip();
            boolean continued = code.endsWith("\\");
            command.append(continued ? code.substring(0, code.length() - 1) : code)
                    .append(' ');
            if (!continued) {
                break;
            }
        }
        return List.of(command.toString().strip().split("\\s+"));
    }

    /** A reward whose plugin failed to start is named with its bundle, jar and reason, beside the rewards installed. */
    @Test
    void aRewardOfAPluginThatFailedToStartIsNamedWithItsJarAndReason() throws Exception {
        Path other = home.resolve("home-with-a-faulty-plugin");
        layOutHome(other);
        Path jar = other.resolve("plugins/faulty-reward.jar");
        Files.copy(TestPlatform.exampleJar("faulty-plugin", "faulty-reward", "1.0.0"), jar);
        Files.copy(
                TestPlatform.exampleJar("reward-plugin", "length-reward", "1.0.0"),
                other.resolve("plugins/length-reward.jar"));
        Path prompts = other.resolve("prompts.jsonl");
        Files.writeString(prompts, "{\"query\": \"what is two plus two ?\"}\n");
        Path out = other.resolve("grpo-faulty");
        Result r = ospreyIn(
                other,
                "rlhf",
                "--rlhf_type",
                "grpo",
                "--model",
                home.resolve("demo/tiny-chat").toString(),
                "--dataset",
                prompts.toString(),
                "--reward_funcs",
                "faulty",
                "--num_generations",
                "2",
                "--output_dir",
                out.toString());
        assertEquals(2, r.exit(), r.out());
        assertTrue(
                r.out()
                        .contains(
                                "osprey: no reward named 'faulty' is installed; installed: accuracy, cosine, custom_length, format,"
                                        + " repetition, soft_overlong. A reward plugin did not start: com.example.osprey.faulty-reward 1.0.0 ("
                                        + jar.toRealPath()
                                        + ") failed: component com.example.osprey.faulty.FaultyReward failed to activate: java.lang.IllegalStateException:"
                                        + " faulty-reward refuses to start"),
                r.out());
        assertTrue(!Files.exists(out), "nothing was trained");
    }

    /** --strict false: a row with nothing to train on is skipped like an unreadable one, and the output names both. */
    @Test
    void strictFalseSkipsRowsWithoutAnAnswerAndNamesThem() throws Exception {
        Path data = home.resolve("with-bad-rows.jsonl");
        List<String> rows = new ArrayList<>(
                Files.readAllLines(home.resolve("demo/data/qa.jsonl")).subList(0, 3));
        rows.add("{\"messages\": [{\"role\": \"user\", \"content\": \"what is the capital of norway ?\"}]}");
        rows.add("{not json");
        Files.write(data, rows);
        Path out = home.resolve("strict-false");
        Result skipping = osprey(
                "sft",
                "--model",
                home.resolve("demo/tiny-chat").toString(),
                "--dataset",
                data.toString(),
                "--strict",
                "false",
                "--max_steps",
                "2",
                "--output_dir",
                out.toString());
        assertEquals(0, skipping.exit(), skipping.out());
        assertTrue(
                skipping.out().contains("skipped 2 bad rows (--strict false): ")
                        && skipping.out()
                                .contains(data + ":4: no tokens left to train on (the row has no assistant answer)")
                        && skipping.out().contains(data + ":5: bad JSON"),
                skipping.out());
        assertTrue(skipping.out().contains("on 3 sequences"), skipping.out());

        Files.write(data, rows.subList(0, 4));
        Result strict = osprey(
                "sft",
                "--model",
                home.resolve("demo/tiny-chat").toString(),
                "--dataset",
                data.toString(),
                "--max_steps",
                "2",
                "--output_dir",
                out.toString());
        assertEquals(2, strict.exit(), strict.out());
        assertTrue(
                strict.out().contains(data + ":4: no tokens left to train on (the row has no assistant answer)"),
                strict.out());
    }

    @Test
    void inferAnswersADatasetIntoJsonLinesAndChatsInTheTerminal() throws Exception {
        Path model = home.resolve("demo/tiny-chat");
        Path data = home.resolve("infer.jsonl");
        Files.writeString(
                data, "{\"query\": \"what is the capital of france ?\"}\n{\"query\": \"what colour is the sky ?\"}\n");
        Path results = home.resolve("infer-results.jsonl");
        Result batch = osprey(
                "infer",
                "--model",
                model.toString(),
                "--val_dataset",
                data.toString(),
                "--result_path",
                results.toString(),
                "--max_new_tokens",
                "8");
        assertEquals(0, batch.exit(), batch.out());
        List<String> lines = Files.readAllLines(results);
        assertEquals(2, lines.size(), batch.out());
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String line : lines) {
            assertTrue(json.readTree(line).has("response"), line);
        }

        Result chat;
        try (ChildProcess infer = ChildProcess.start(new ProcessBuilder(
                home.resolve("bin/osprey").toString(),
                "infer",
                "--model",
                model.toString(),
                "--max_new_tokens",
                "8"))) {
            chat = infer.input("what is two plus two ?\n/clear\n/exit\n")
                    .waitFor(OSPREY_TIMEOUT); // fails if /exit does not end it
        }
        assertEquals(0, chat.exit(), chat.out());
        assertTrue(chat.out().contains("(conversation cleared)"), "the /clear command is acknowledged:\n" + chat.out());
    }

    /**
     * A client nobody on the team wrote: the official openai npm package (node:test) against `osprey deploy`,
     * among its suites tools.test.mjs: the whole tool-calling flow, unforced, on demo/tiny-tools, the tiny model
     * trained to call tools that the distribution ships (distribution/demo/README.md). Its node modules are installed
     * beforehand, by .ci/run (README, "Run the tests"), never by the build.
     */
    @Test
    void theOfficialOpenAiNpmClientTalksToDeploy() throws Exception {
        Path suite = TestPlatform.root().resolve("distribution/itest/node-openai");
        assertTrue(
                Files.isRegularFile(suite.resolve("node_modules/openai/package.json")),
                "the openai npm client is not installed in " + suite
                        + "; run once from the repository root (Node 18+, reaches the"
                        + " npm registry; .ci/run does it): npm ci --prefix distribution/itest/node-openai --no-audit --no-fund");
        ProcessBuilder npmTest = new ProcessBuilder("npm", "test").directory(suite.toFile());
        npmTest.environment()
                .putAll(java.util.Map.of(
                        "OSPREY_HOME",
                        home.toString(),
                        "OSPREY_MODEL",
                        home.resolve("demo/tiny-chat").toString(),
                        // tools.test.mjs: the tiny model trained to call tools
                        "OSPREY_TOOLS_MODEL",
                        home.resolve("demo/tiny-tools").toString(),
                        "OSPREY_EMBEDDING_MODEL",
                        TestPlatform.root()
                                .resolve("bundles/train/src/test/resources/tasks/embedding-qwen3")
                                .toString()));
        Result tests = ChildProcess.run(npmTest, OSPREY_TIMEOUT);
        assertEquals(0, tests.exit(), tests.out());
        assertTrue(tests.out().contains("# fail 0") && !tests.out().contains("# pass 0"), tests.out());
    }

    @Test
    void hotDeployAgainstARunningServer() throws Exception {
        int port = TestPlatform.freePort();
        String base = "http://127.0.0.1:" + port;
        try (ChildProcess server = ChildProcess.start(
                new ProcessBuilder(home.resolve("bin/osprey").toString(), "serve", "--port", Integer.toString(port))
                        .redirectOutput(home.resolve("serve.log").toFile()))) {
            if (TestPlatform.waitFor(60_000, () -> get(base + "/api/plugins")) == null) {
                throw new AssertionError("the server did not start:\n" + Files.readString(home.resolve("serve.log")));
            }
            Path plugins = home.resolve("plugins");
            Path v1 = TestPlatform.exampleJar("reward-plugin", "length-reward", "1.0.0");

            long start = System.nanoTime();
            Files.copy(v1, plugins.resolve("length-reward.jar.part"));
            Files.move(plugins.resolve("length-reward.jar.part"), plugins.resolve("length-reward.jar"));
            assertNotNull(TestPlatform.waitFor(10_000, () -> contains(base, "custom_length")), "not deployed");
            System.out.printf(
                    "distribution hot deploy: visible in GET /api/plugins after %d ms%n",
                    (System.nanoTime() - start) / 1_000_000);

            Result listed = osprey("plugins", "--server", base);
            assertEquals(0, listed.exit(), listed.out());
            assertTrue(listed.out().contains("Plugins of server " + base), listed.out());
            assertTrue(
                    listed.out().contains("reward:custom_length")
                            && listed.out().contains("1.0.0"),
                    listed.out());

            TestPlatform.withVersion(v1, "2.0.0", plugins.resolve("length-reward.jar"));
            assertNotNull(
                    TestPlatform.waitFor(10_000, () -> contains(base, "\"version\" : \"2.0.0\"")), "v2 not active");

            Files.delete(plugins.resolve("length-reward.jar"));
            assertNotNull(
                    TestPlatform.waitFor(10_000, () -> {
                        String body = get(base + "/api/plugins");
                        return body != null && !body.contains("custom_length") ? body : null;
                    }),
                    "not removed");

            String log = Files.readString(home.resolve("serve.log"));
            assertTrue(log.contains("Osprey is serving on " + base), log);
            assertTrue(log.contains("+ reward:custom_length (com.example.osprey.length-reward 1.0.0)"), log);
            assertTrue(log.contains("- reward:custom_length"), log);
            server.stop(Duration.ofSeconds(20));
        }
    }

    private static boolean hasCheckpoint(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) {
            return false;
        }
        try (var files = Files.list(outputDir)) {
            return files.anyMatch(p -> p.getFileName().toString().matches("checkpoint-\\d+"));
        }
    }

    private static String contains(String base, String text) throws Exception {
        String body = get(base + "/api/plugins");
        return body != null && body.contains(text) ? body : null;
    }

    private static String get(String url) throws Exception {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient()
                    .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        }
    }
}
