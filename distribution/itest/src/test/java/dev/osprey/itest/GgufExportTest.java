package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code osprey export --to_gguf} of the built distribution writes, through the job service, the very
 * GGUF files llama.cpp was run on (same SHA-256 as in bundles/export's golden files, made by
 * tools/gguf-llamacpp-reference.sh), and Osprey's own model agrees with llama.cpp on them: the same greedy tokens
 * for the golden prompt and, at the first step, the same log-probability (F32/F16 within llama.cpp's F16 KV cache's
 * error; Q8_0 within its quantization error).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class GgufExportTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path GOLDEN = TestPlatform.root().resolve("bundles/export/src/test/resources/gguf");
    private static final Path REFERENCE = TestPlatform.root().resolve("plugins-models");
    private static final Path LLAMA = REFERENCE.resolve("llama/src/test/resources/reference/llama");
    private static final Path QWEN2 = REFERENCE.resolve("qwen/src/test/resources/reference/qwen2");
    /** Tokenizer files to copy: tokenizer.json (with its config) alone, or with SentencePiece's model too. */
    private static final List<String> TOKENIZER_JSON = List.of("tokenizer.json", "tokenizer_config.json");

    private static final List<String> WITH_SENTENCEPIECE_MODEL =
            List.of("tokenizer.json", "tokenizer_config.json", "tokenizer.model");

    @TempDir
    static Path home;

    @BeforeAll
    static void layOut() throws Exception {
        DistributionCliTest.layOutHome(home);
    }

    @Test
    void llamaF32AndF16AreTheFilesLlamaCppReadAndOspreyGivesTheirGreedyTokens() throws Exception {
        prepare("llama", LLAMA, "{}", GOLDEN, TOKENIZER_JSON);
        for (String type : List.of("f32", "f16")) {
            Path file = export("llama", type, "--gguf_type", type);
            assertAgreesWithLlamaCpp("llama", file, "llamacpp-llama.json", type, 5e-3);
        }
    }

    @Test
    void qwen2Q8_0ByQuantBitsIsTheFileLlamaCppReadAndAgreesWithinQuantization() throws Exception {
        prepare("qwen2", QWEN2, "{}", GOLDEN, TOKENIZER_JSON);
        Path file = export("qwen2", "q8_0", "--quant_bits", "8", "--to_ollama");
        assertAgreesWithLlamaCpp("qwen2", file, "llamacpp-qwen2.json", "q8_0", 3e-2);

        // --to_ollama: Ollama's Modelfile beside the file, its TEMPLATE derived from the model's ChatML template
        List<String> modelfile = Files.readAllLines(home.resolve("qwen2-q8_0").resolve("Modelfile"));
        assertEquals("FROM ./qwen2-q8_0.gguf", modelfile.get(0), String.join("\n", modelfile));
        assertEquals(
                "TEMPLATE \"\"\"{{ if .System }}<|im_start|>system", modelfile.get(1), String.join("\n", modelfile));
        String template = String.join("\n", modelfile.subList(1, modelfile.indexOf("{{ .Response }}<|im_end|>") + 2));
        assertEquals(
                "TEMPLATE \"\"\"{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n<|im_start|>user\n"
                        + "{{ else }}<|im_start|>user\n{{ end }}{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n"
                        + "{{ .Response }}<|im_end|>\n\"\"\"",
                template);
        assertTrue(modelfile.stream().anyMatch(l -> l.startsWith("PARAMETER stop \"")), String.join("\n", modelfile));
    }

    /** {@code --to_gguf} with llama-quantize's Q4_K_M mix: the very bytes llama-quantize wrote for this model. */
    @Test
    void qwen2Q4KMByToGgufIsTheFileLlamaQuantizeWrites() throws Exception {
        prepare("qwen2", QWEN2, "{}", GOLDEN, TOKENIZER_JSON);
        Path file = export("qwen2", "q4_k_m", "--gguf_type", "q4_k_m");
        JsonNode golden = JSON.readTree(
                        GOLDEN.resolve("llamacpp-qwen2-kquant.json").toFile())
                .get("q4_k_m");
        assertEquals(
                golden.get("of").asInt(), golden.get("identical").asInt(), "tensors as llama-quantize writes them");
        assertEquals(golden.get("sha256").asText(), sha256(file), "the file compared with llama-quantize's");
        // tied: the embedding is the output head, whose Q6_K falls back to Q8_0 on rows of 32
        assertEquals(
                "Q8_0",
                golden.at("/tensors/token_embd.weight/llama_quantize_type").asText());
    }

    /**
     * Scaled RoPE: the reference llama with linear, llama3 (the rope_freqs tensor) and yarn scaling, each to an
     * original context of 16 so that it changes the tokens; llama.cpp's greedy tokens are Osprey's on each.
     */
    @Test
    void scaledRopeVariantsGiveLlamaCppOspreysGreedyTokens() throws Exception {
        JsonNode variants = JSON.readTree(GOLDEN.resolve("rope-variants.json").toFile());
        for (String variant : List.of("linear", "llama3", "yarn")) {
            String name = "rope-" + variant;
            prepare(name, LLAMA, "{\"rope_parameters\": " + variants.get(variant) + "}", GOLDEN, TOKENIZER_JSON);
            Path file = export(name, "f32", "--gguf_type", "f32");
            assertAgreesWithLlamaCpp(name, file, "llamacpp-llama-rope.json", variant, 5e-3);
        }
    }

    /**
     * SentencePiece vocabularies as llama.cpp's {@code llama} tokenizer: Mistral's from tokenizer.json alone, Gemma's
     * from tokenizer.model. llama.cpp gives Osprey's greedy tokens on both, and on Gemma's file it tokenized the
     * golden texts into exactly the ids {@code osprey deploy}'s /tokenize gives for them.
     */
    @Test
    void sentencePieceMistralAndGemmaAgreeWithLlamaCppOnTokensAndIds() throws Exception {
        // llama.cpp's llama architecture has no sliding window
        prepare(
                "mistral",
                REFERENCE.resolve("llama/src/test/resources/reference/mistral"),
                "{\"sliding_window\": null}",
                GOLDEN.resolve("spm"),
                TOKENIZER_JSON);
        Path mistral = export("mistral", "f32", "--gguf_type", "f32");
        assertAgreesWithLlamaCpp("mistral", mistral, "llamacpp-mistral.json", "f32", 5e-3);
        prepare(
                "gemma",
                REFERENCE.resolve("gemma/src/test/resources/reference/gemma"),
                "{}",
                GOLDEN.resolve("spm-gemma"),
                WITH_SENTENCEPIECE_MODEL);
        Path gemma = export("gemma", "f32", "--gguf_type", "f32");
        assertAgreesWithLlamaCpp("gemma", gemma, "llamacpp-gemma.json", "f32", 5e-3);

        JsonNode tokenize =
                JSON.readTree(GOLDEN.resolve("llamacpp-gemma.json").toFile()).at("/f32/tokenize");
        int port = TestPlatform.freePort();
        ChildProcess deploy = ChildProcess.start(new ProcessBuilder(
                        home.resolve("bin/osprey").toString(),
                        "deploy",
                        "--model",
                        home.resolve("models/gemma").toString(),
                        "--served_model_name",
                        "gemma",
                        "--port",
                        Integer.toString(port))
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("deploy-gemma.log").toFile()));
        try {
            String api = "http://127.0.0.1:" + port;
            assertNotNull(
                    TestPlatform.waitFor(120_000, () -> JsonHttp.get(api + "/health")), () -> "deploy did not start");
            for (int i = 0; i < tokenize.get("texts").size(); i++) {
                String text = tokenize.get("texts").get(i).asText();
                JsonNode r = JsonHttp.post(api + "/tokenize", Map.of("model", "gemma", "prompt", text));
                List<Integer> osprey = new ArrayList<>();
                r.get("tokens").forEach(t -> osprey.add(t.asInt()));
                List<Integer> llamaCpp = new ArrayList<>(List.of(1)); // llama.cpp's ids after Osprey's BOS
                tokenize.get("llama_cpp").get(i).forEach(t -> llamaCpp.add(t.asInt()));
                assertEquals(llamaCpp, osprey, "ids of \"" + text + "\"");
            }
        } finally {
            deploy.stop(Duration.ofSeconds(20));
        }
    }

    /**
     * Gemma 2 (soft-capping, alternating sliding layers, four norms) and Gemma 3 (q/k norms, a global layer in six
     * with its own rope base and linear scaling): llama.cpp's greedy tokens are Osprey's. Gemma 2's
     * query_pre_attn_scalar is set to head_dim and its head tied, as llama.cpp computes them; the Gemma 3 fixture
     * (tools/make-gguf-gemma3-fixture.py) has six layers because llama.cpp makes every sixth one global.
     */
    @Test
    void gemma2AndGemma3GiveLlamaCppOspreysGreedyTokens() throws Exception {
        prepare(
                "gemma2",
                REFERENCE.resolve("gemma/src/test/resources/reference/gemma2"),
                "{\"query_pre_attn_scalar\": 8, \"tie_word_embeddings\": true}",
                GOLDEN.resolve("spm-gemma"),
                WITH_SENTENCEPIECE_MODEL);
        assertAgreesWithLlamaCpp(
                "gemma2", export("gemma2", "f32", "--gguf_type", "f32"), "llamacpp-gemma2.json", "f32", 5e-3);
        prepare(
                "gemma3-text-6",
                GOLDEN.resolve("gemma3-text-6"),
                "{}",
                GOLDEN.resolve("spm-gemma"),
                WITH_SENTENCEPIECE_MODEL);
        assertAgreesWithLlamaCpp(
                "gemma3-text-6",
                export("gemma3-text-6", "f32", "--gguf_type", "f32"),
                "llamacpp-gemma3-text-6.json",
                "f32",
                5e-3);
    }

    @Test
    void aWordLevelTokenizerIsRefusedByName() throws Exception {
        ChildProcess.Result r = DistributionCliTest.ospreyIn(
                home,
                "export",
                "--quant_method",
                "gguf",
                "--model",
                home.resolve("demo/tiny-chat").toString(),
                "--output_dir",
                home.resolve("word-level").toString());
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.out().contains("model.type WordLevel"), r.out());
    }

    /**
     * The golden entry {@code key} of {@code goldenFile} was made on this very {@code file}, and Osprey's model in
     * folder {@code name} gives llama.cpp's greedy tokens and (within {@code tolerance}) its first log-probability.
     */
    private static void assertAgreesWithLlamaCpp(
            String name, Path file, String goldenFile, String key, double tolerance) throws Exception {
        Path model = home.resolve("models").resolve(name);
        JsonNode golden = JSON.readTree(GOLDEN.resolve(goldenFile).toFile());
        JsonNode llamaCpp = golden.get(key);
        assertEquals(llamaCpp.get("sha256").asText(), sha256(file), "the file llama.cpp was run on");

        // the prompt followed by llama.cpp's tokens: Osprey's argmax at each step must be llama.cpp's next token
        List<Integer> ids = new ArrayList<>();
        golden.get("prompt").forEach(t -> ids.add(t.asInt()));
        int promptLength = ids.size();
        List<Integer> expected = new ArrayList<>();
        llamaCpp.get("tokens").forEach(t -> expected.add(t.asInt()));
        ids.addAll(expected.subList(0, expected.size() - 1));
        Path logitsFile = home.resolve(name + "-logits.json");
        ChildProcess.Result logits = DistributionCliTest.ospreyIn(
                home,
                "logits",
                "--model",
                model.toString(),
                "--input_ids",
                JSON.writeValueAsString(List.of(ids)),
                "--output",
                logitsFile.toString());
        assertEquals(0, logits.exit(), logits.out());
        JsonNode rows = JSON.readTree(logitsFile.toFile()).get("logits").get(0);
        List<Integer> greedy = new ArrayList<>();
        for (int p = promptLength - 1; p < ids.size(); p++) {
            greedy.add(argmax(rows.get(p)));
        }
        assertEquals(expected, greedy, "Osprey's greedy tokens vs. llama.cpp's on " + file.getFileName());

        JsonNode first = llamaCpp.get("top_logprobs").get(0).get(0);
        double osprey = logSoftmax(rows.get(promptLength - 1), first.get("id").asInt());
        assertEquals(first.get("logprob").asDouble(), osprey, tolerance, "log-probability of the first token");
    }

    /**
     * Folder {@code models/NAME} (once): the checkpoint's weights, its config.json with the fields of {@code
     * configPatch} (a JSON object) set, and {@code tokenizerFiles} from {@code tokenizer}.
     */
    private static void prepare(
            String name, Path checkpoint, String configPatch, Path tokenizer, List<String> tokenizerFiles)
            throws Exception {
        Path model = home.resolve("models").resolve(name);
        if (Files.isDirectory(model)) {
            return;
        }
        Files.createDirectories(model);
        Files.copy(checkpoint.resolve("model.safetensors"), model.resolve("model.safetensors"));
        ObjectNode config =
                (ObjectNode) JSON.readTree(checkpoint.resolve("config.json").toFile());
        config.setAll((ObjectNode) JSON.readTree(configPatch));
        JSON.writeValue(model.resolve("config.json").toFile(), config);
        for (String f : tokenizerFiles) {
            Files.copy(tokenizer.resolve(f), model.resolve(f));
        }
    }

    /** {@code osprey export --to_gguf} of {@code models/NAME}: the file {@code NAME-TYPE.gguf}. */
    private static Path export(String name, String type, String... typeOptions) throws Exception {
        Path model = home.resolve("models").resolve(name);
        Path out = home.resolve(name + "-" + type);
        List<String> args = new ArrayList<>(
                List.of("export", "--to_gguf", "--model", model.toString(), "--output_dir", out.toString()));
        args.addAll(List.of(typeOptions));
        ChildProcess.Result export = DistributionCliTest.ospreyIn(home, args.toArray(String[]::new));
        assertEquals(0, export.exit(), export.out());
        Path file = out.resolve(name + "-" + type + ".gguf");
        assertTrue(Files.isRegularFile(file), export.out());
        return file;
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static int argmax(JsonNode logits) {
        int best = 0;
        for (int i = 1; i < logits.size(); i++) {
            if (logits.get(i).asDouble() > logits.get(best).asDouble()) {
                best = i;
            }
        }
        return best;
    }

    private static double logSoftmax(JsonNode logits, int id) {
        double max = logits.get(argmax(logits)).asDouble();
        double sum = 0;
        for (JsonNode v : logits) {
            sum += Math.exp(v.asDouble() - max);
        }
        return logits.get(id).asDouble() - max - Math.log(sum);
    }
}
