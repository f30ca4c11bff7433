package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code osprey export --quant_method gptq|awq|fp8} of the built distribution runs the quantizing exporters as jobs
 * (calibrated on a JSON-lines dataset), and {@code osprey eval} reads each folder back: the held-out perplexity
 * stays near the original's (the change is printed; docs/benchmarks.md quotes it). The FP8 folder's weights file is
 * byte for byte the one transformers was run on (bundles/export's golden, tools/quant-export-reference.py).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class QuantizedExportJobTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path EXPORT = TestPlatform.root().resolve("bundles/export/src/test/resources");
    private static final String[] WORDS = {
        "the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "then", "rests", "in", "warm", "sun",
        "and", "dreams", "of", "green", "fields", "where", "rabbits", "run"
    };

    @TempDir
    static Path home;

    static Path model;
    static Path calibration;
    static Path heldOut;
    static double originalPerplexity;

    @BeforeAll
    static void layOut() throws Exception {
        DistributionCliTest.layOutHome(home);
        model = home.resolve("models/llama");
        Files.createDirectories(model);
        Path fixture = TestPlatform.root().resolve("plugins-models/llama/src/test/resources/reference/llama");
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors")) {
            Files.copy(fixture.resolve(f), model.resolve(f));
        }
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(EXPORT.resolve("gguf").resolve(f), model.resolve(f));
        }
        calibration = dataset("calibration.jsonl", 32, 1);
        heldOut = dataset("held-out.jsonl", 8, 2);
        originalPerplexity = perplexity(model, "original");
    }

    /** {@code rows} conversations of seeded word sequences. */
    private static Path dataset(String name, int rows, long seed) throws Exception {
        java.util.Random random = new java.util.Random(seed);
        StringBuilder lines = new StringBuilder();
        for (int r = 0; r < rows; r++) {
            List<String> user = new ArrayList<>();
            List<String> assistant = new ArrayList<>();
            for (int w = 0; w < 6; w++) {
                user.add(WORDS[random.nextInt(WORDS.length)]);
                assistant.add(WORDS[random.nextInt(WORDS.length)]);
            }
            lines.append(JSON.writeValueAsString(java.util.Map.of(
                            "messages",
                            List.of(
                                    java.util.Map.of("role", "user", "content", String.join(" ", user)),
                                    java.util.Map.of("role", "assistant", "content", String.join(" ", assistant))))))
                    .append('\n');
        }
        Path file = home.resolve(name);
        Files.writeString(file, lines);
        return file;
    }

    @Test
    void gptqExportsAndReloadsNearTheOriginal() throws Exception {
        Path out = export("gptq", "--quant_bits", "4", "--group_size", "16", "--desc_act", "true");
        JsonNode config = JSON.readTree(out.resolve("config.json").toFile()).get("quantization_config");
        assertEquals("gptq", config.get("quant_method").asText());
        assertEquals(16, config.get("group_size").asInt());
        assertTrue(config.get("desc_act").asBoolean());
        assertNearOriginal(out, "gptq", 0.3);
        assertTakesAdaptersOnly(out);
    }

    /** A GPTQ folder holds its linears as codes: LoRA trains on it, full fine-tuning is refused by name. */
    private static void assertTakesAdaptersOnly(Path quantized) throws Exception {
        for (String trainType : List.of("full", "lora")) {
            ChildProcess.Result r = DistributionCliTest.ospreyIn(
                    home,
                    "sft",
                    "--model",
                    quantized.toString(),
                    "--train_type",
                    trainType,
                    "--dataset",
                    heldOut.toString(),
                    "--max_steps",
                    "1",
                    "--output_dir",
                    home.resolve("sft-on-gptq-" + trainType).toString());
            if (trainType.equals("full")) {
                assertNotEquals(0, r.exit(), r.out());
                assertTrue(r.out().contains("linear layers as quantized codes"), r.out());
            } else {
                assertEquals(0, r.exit(), r.out());
            }
        }
    }

    @Test
    void awqExportsAndReloadsNearTheOriginal() throws Exception {
        Path out = export("awq", "--group_size", "16");
        JsonNode config = JSON.readTree(out.resolve("config.json").toFile()).get("quantization_config");
        assertEquals("awq", config.get("quant_method").asText());
        assertEquals("gemm", config.get("version").asText());
        assertNearOriginal(out, "awq", 0.3);
    }

    @Test
    void fp8IsTheFileTransformersReadAndReloadsNearTheOriginal() throws Exception {
        Path out = export("fp8", "--group_size", "16");
        JsonNode golden = JSON.readTree(
                EXPORT.resolve("quant/fp8-llama-transformers.json").toFile());
        String sha = HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(Files.readAllBytes(out.resolve("model.safetensors"))));
        assertEquals(golden.get("model_sha256").asText(), sha, "the weights transformers was run on");
        assertNearOriginal(out, "fp8", 0.1);
    }

    private static Path export(String method, String... options) throws Exception {
        Path out = home.resolve("llama-" + method);
        List<String> args = new ArrayList<>(List.of(
                "export",
                "--model",
                model.toString(),
                "--quant_method",
                method,
                "--dataset",
                calibration.toString(),
                "--quant_n_samples",
                "32",
                "--max_length",
                "64",
                "--output_dir",
                out.toString()));
        args.addAll(List.of(options));
        ChildProcess.Result r = DistributionCliTest.ospreyIn(home, args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.out());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")), r.out());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")), r.out());
        System.out.println(r.out());
        return out;
    }

    private static void assertNearOriginal(Path out, String method, double bound) throws Exception {
        double quantized = perplexity(out, method);
        System.out.printf(
                "llama %s: held-out perplexity %.4f -> %.4f (%+.2f%%)%n",
                method, originalPerplexity, quantized, 100 * (quantized / originalPerplexity - 1));
        assertTrue(Math.abs(quantized / originalPerplexity - 1) < bound, originalPerplexity + " -> " + quantized);
    }

    private static double perplexity(Path folder, String name) throws Exception {
        Path out = home.resolve("eval-" + name);
        ChildProcess.Result eval = DistributionCliTest.ospreyIn(
                home,
                "eval",
                "--model",
                folder.toString(),
                "--dataset",
                heldOut.toString(),
                "--eval_output_dir",
                out.toString());
        assertEquals(0, eval.exit(), eval.out());
        return JSON.readTree(out.resolve("eval_result.json").toFile())
                .path("metrics")
                .path("perplexity")
                .asDouble();
    }
}
