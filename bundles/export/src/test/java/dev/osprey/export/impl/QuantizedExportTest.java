package dev.osprey.export.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.ProgressReporter;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.checkpoint.Safetensors;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.nn.Int4Weight;
import dev.osprey.model.nn.Int8Weight;
import dev.osprey.model.nn.Linear;
import dev.osprey.models.llama.LlamaArchitecture;
import dev.osprey.models.qwen.Qwen2Architecture;

/**
 * GPTQ, AWQ and FP8 exports of the tiny reference Llama and Qwen2 checkpoints, calibrated on seeded token
 * sequences: each exported folder is read back by Osprey's own pre-quantized loader, which must compute exactly what
 * the quantizer left in the model (so the packed layout is the one the readers expect) and stay close to the original
 * on held-out sequences (the perplexity change is printed); GPTQ must beat round-to-nearest on the layer
 * reconstruction error and AWQ's chosen scales must beat no scaling. The FP8 export of the Llama checkpoint is
 * compared with the logits transformers computes from the same file (tools/quant-export-reference.py, pinned by
 * the file's SHA-256).
 */
class QuantizedExportTest {

    static final Path LLAMA = GgufExporterTest.LLAMA;
    static final Path QWEN2 = GgufExporterTest.QWEN2;
    /** Where the FP8 export is kept for tools/quant-export-reference.py. */
    static final Path FP8_FOR_TRANSFORMERS = Path.of("target/quant-fp8-llama");

    static final Path FP8_GOLDEN = Path.of("src/test/resources/quant/fp8-llama-transformers.json");
    static final long[][] PROBE = {{1, 17, 42, 99, 5, 63, 21, 7, 88, 120, 3, 54}};

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void gptqBeatsRoundToNearestAndReloadsExactly() throws Exception {
        for (Path source : List.of(LLAMA, QWEN2)) {
            QuantSettings s = settings("gptq", Map.of("quant_bits", 4, "group_size", 16, "desc_act", true));
            try (HfModel hf = load(source)) {
                sample(hf.model());
                float[] before = logits(hf.model(), heldOut());
                double pplBefore = perplexity(hf.model());
                GptqQuantizer.Result result = GptqExporter.quantize(decoder(hf), calibration(), s, silent());
                double gptq = result.total(0);
                double rtn = result.total(1);
                System.out.printf(
                        "%s gptq 4-bit g16 act-order: reconstruction error %.5g vs round-to-nearest %.5g%n",
                        name(source), gptq, rtn);
                assertEquals(
                        DecoderLinears.ofLayer(decoder(hf), 0).size() * 2,
                        result.codes().size());
                assertTrue(gptq < 0.8 * rtn, "GPTQ's error " + gptq + " must be well under round-to-nearest's " + rtn);
                assertReloadsAsQuantized(source, hf, GptqExporter.checkpoint(result.codes()), s, before, pplBefore);
            }
        }
    }

    @Test
    void gptqEightBitsPerChannelWithoutActOrder() throws Exception {
        QuantSettings s = settings("gptq", Map.of("quant_bits", 8, "group_size", -1, "desc_act", false));
        try (HfModel hf = load(LLAMA)) {
            sample(hf.model());
            float[] before = logits(hf.model(), heldOut());
            double pplBefore = perplexity(hf.model());
            GptqQuantizer.Result result = GptqExporter.quantize(decoder(hf), calibration(), s, silent());
            assertTrue(result.total(0) <= result.total(1));
            assertReloadsAsQuantized(LLAMA, hf, GptqExporter.checkpoint(result.codes()), s, before, pplBefore);
        }
    }

    @Test
    void awqScalesBeatNoScalingAndReloadExactly() throws Exception {
        for (Path source : List.of(LLAMA, QWEN2)) {
            QuantSettings s = settings("awq", Map.of("quant_bits", 4, "group_size", 16));
            try (HfModel hf = load(source)) {
                sample(hf.model());
                float[] before = logits(hf.model(), heldOut());
                double pplBefore = perplexity(hf.model());
                AwqQuantizer.Result result = AwqQuantizer.quantize(decoder(hf), manager, calibration(), s, silent());
                double plain = result.searches().values().stream()
                        .mapToDouble(e -> e[0])
                        .sum();
                double chosen = result.searches().values().stream()
                        .mapToDouble(e -> e[1])
                        .sum();
                System.out.printf(
                        "%s awq 4-bit g16: layer output error %.5g with the chosen scales, %.5g at alpha 0;"
                                + " alphas %s%n",
                        name(source), chosen, plain, alphas(result));
                assertTrue(chosen < plain, "AWQ's scales " + chosen + " must beat no scaling " + plain);
                QuantizedCheckpoint checkpoint = new QuantizedCheckpoint();
                result.codes().forEach(checkpoint::putAwq);
                assertReloadsAsQuantized(source, hf, checkpoint, s, before, pplBefore);
            }
        }
    }

    @Test
    void fp8BlocksMatchTransformers() throws Exception {
        QuantSettings s = settings("fp8", Map.of("group_size", 16));
        try (HfModel hf = load(LLAMA)) {
            sample(hf.model());
            float[] before = logits(hf.model(), heldOut());
            double pplBefore = perplexity(hf.model());
            QuantizedCheckpoint checkpoint = Fp8Exporter.quantize(decoder(hf), s, silent());
            Path out = assertReloadsAsQuantized(LLAMA, hf, checkpoint, s, before, pplBefore);
            assertEquals(
                    "F8_E4M3",
                    Safetensors.readHeader(out.resolve("model.safetensors"))
                            .get("model.layers.0.mlp.down_proj.weight")
                            .dtype());
            // the folder tools/quant-export-reference.py reads; its golden pins the exact bytes
            if (Files.exists(FP8_FOR_TRANSFORMERS)) {
                dev.osprey.model.load.Folders.deleteTree(FP8_FOR_TRANSFORMERS);
            }
            checkpointCopy(out, FP8_FOR_TRANSFORMERS);
            JsonNode golden = JSON.readTree(FP8_GOLDEN.toFile());
            assertEquals(
                    golden.get("model_sha256").asText(),
                    sha256(out.resolve("model.safetensors")),
                    "the FP8 export changed: rerun tools/quant-export-reference.py (see its header)");
            try (HfModel reloaded = load(out)) {
                float[] ours = logits(reloaded.model(), PROBE);
                JsonNode values = golden.get("logits");
                float maxDiff = 0;
                for (int i = 0; i < ours.length; i++) {
                    maxDiff = Math.max(
                            maxDiff, Math.abs(ours[i] - (float) values.get(i).asDouble()));
                }
                assertEquals(values.size(), ours.length);
                assertTrue(maxDiff < 1e-4, "Osprey and transformers differ by " + maxDiff + " on the FP8 export");
            }
        }
    }

    @Test
    void fp8PerChannelReloads() throws Exception {
        QuantSettings s = settings("fp8", Map.of("fp8_scheme", "channel"));
        try (HfModel hf = load(LLAMA)) {
            sample(hf.model());
            float[] before = logits(hf.model(), heldOut());
            double pplBefore = perplexity(hf.model());
            QuantizedCheckpoint checkpoint = Fp8Exporter.quantize(decoder(hf), s, silent());
            Path out = assertReloadsAsQuantized(LLAMA, hf, checkpoint, s, before, pplBefore);
            assertEquals(
                    List.of(32L, 1L),
                    List.of(
                            Safetensors.readHeader(out.resolve("model.safetensors"))
                                    .get("model.layers.1.self_attn.q_proj.weight_scale")
                                    .shape()[0],
                            Safetensors.readHeader(out.resolve("model.safetensors"))
                                    .get("model.layers.1.self_attn.q_proj.weight_scale")
                                    .shape()[1]));
        }
    }

    /**
     * Writes the checkpoint, reads it back with Osprey's pre-quantized loader and checks: the reloaded model computes
     * what the quantized model in memory computes (to F32 rounding), and stays near the original.
     *
     * @return the exported folder
     */
    private Path assertReloadsAsQuantized(
            Path source, HfModel hf, QuantizedCheckpoint checkpoint, QuantSettings s, float[] before, double pplBefore)
            throws Exception {
        Path out = tmp.resolve(name(source) + "-" + s.method() + "-" + s.bits());
        checkpoint.write(out, hf, s.quantizationConfig(), "F32");
        float[] inMemory = logits(hf.model(), heldOut());
        double pplQuantized = perplexity(hf.model());
        try (HfModel reloaded = load(out)) {
            assertEquals(
                    s.method().equals("fp8") && s.fp8Scheme().equals("channel") ? "fbgemm_fp8" : s.method(),
                    reloaded.config()
                            .getString("quantization_config.quant_method")
                            .orElseThrow());
            if (!s.method().equals("fp8")) {
                // GPTQ and AWQ reload as their own codes: int4, or int8 for 8 bits per row; never a dense weight
                Class<?> codes = s.bits() == 8 ? Int8Weight.class : Int4Weight.class;
                for (Linear l : decoder(reloaded).linears()) {
                    assertTrue(codes.isInstance(l.quantizedWeight()), l.name() + " holds " + l.quantizedWeight());
                }
            }
            float[] after = logits(reloaded.model(), heldOut());
            // the checkpoint's codes, dequantized, compute what the quantized model in memory computes: an 8-bit
            // per-row GPTQ export reloads as int8 codes, whose inference passes run the BF16 int8 kernel
            float exact = maxAbsDiff(logits(reloaded.model(), heldOut(), true), inMemory);
            float drift = maxAbsDiff(after, before);
            float scale = maxAbs(before);
            double relative = FloatArrays.relativeError(after, before);
            System.out.printf(
                    "%s %s %d-bit: reload vs in-memory %.2g, vs original %.4f (logits up to %.3f); held-out"
                            + " perplexity %.4f -> %.4f (%+.3f%%)%n",
                    name(source),
                    s.method(),
                    s.bits(),
                    exact,
                    drift,
                    scale,
                    pplBefore,
                    pplQuantized,
                    100 * (pplQuantized / pplBefore - 1));
            assertTrue(exact < 1e-4, "the reloaded export differs from the quantized model by " + exact);
            // this tiny random model is far more sensitive than a trained one: FP8's 3 mantissa bits move its
            // logits by about 10%, int4 in groups of 16 by about 30%
            double bound = s.method().equals("fp8") ? 0.15 : s.bits() == 8 ? 0.05 : 0.4;
            assertTrue(relative < bound, "quantizing moved the logits by " + relative + " (relative L2)");
            assertTrue(Math.abs(pplQuantized / pplBefore - 1) < bound, pplBefore + " -> " + pplQuantized);
        }
        return out;
    }

    private HfModel load(Path folder) throws Exception {
        return ModelLoader.load(folder, QuantizedExportTest::architecture, manager, DataType.FLOAT32);
    }

    private static ModelArchitecture architecture(dev.osprey.api.model.ModelConfig config) {
        return config.modelType().equals("qwen2") ? new Qwen2Architecture() : new LlamaArchitecture();
    }

    private static DecoderModel decoder(HfModel hf) {
        return (DecoderModel) hf.model();
    }

    static QuantSettings settings(String method, Map<String, Object> args) {
        Map<String, Object> all = new java.util.HashMap<>(args);
        all.putIfAbsent("save_dtype", "F32");
        return QuantSettings.of(method, Arguments.of(all));
    }

    /**
     * 16 sequences of 32 tokens sampled from the original model (seeded): text the model itself finds likely, as
     * real calibration text is for a trained model.
     */
    private List<int[]> calibration;
    /** 8 other sampled sequences of 24 tokens, for the logits and the perplexity. */
    private long[][] heldOut;

    private void sample(LanguageModel model) {
        calibration = new ArrayList<>();
        for (long[] row : sequences(model, 16, 32, 7)) {
            calibration.add(java.util.Arrays.stream(row).mapToInt(x -> (int) x).toArray());
        }
        heldOut = sequences(model, 8, 24, 11);
    }

    private List<int[]> calibration() {
        return calibration;
    }

    private long[][] heldOut() {
        return heldOut;
    }

    /** Sequences sampled from the model's next-token distribution, each starting with token 1 and a random one. */
    private long[][] sequences(LanguageModel model, int count, int length, long seed) {
        Random random = new Random(seed);
        long[][] ids = new long[count][length];
        for (long[] row : ids) {
            row[0] = 1;
            row[1] = 3 + random.nextInt(125);
        }
        for (int t = 2; t < length; t++) {
            try (NDManager m = manager.newSubManager()) {
                long[][] prefix = new long[count][t];
                for (int r = 0; r < count; r++) {
                    System.arraycopy(ids[r], 0, prefix[r], 0, t);
                }
                NDArray input = m.create(flatten(prefix), new Shape(count, t)); // (B, t)
                NDArray last = model.forward(ForwardRequest.builder(input).build())
                        .logits()
                        .get(":, -1, :")
                        .softmax(-1); // (B, V)
                float[] p = last.toFloatArray();
                int vocab = p.length / count;
                for (int r = 0; r < count; r++) {
                    double u = random.nextDouble();
                    int token = vocab - 1;
                    double cumulative = 0;
                    for (int v = 0; v < vocab; v++) {
                        cumulative += p[r * vocab + v];
                        if (u < cumulative) {
                            token = v;
                            break;
                        }
                    }
                    ids[r][t] = token;
                }
            }
        }
        return ids;
    }

    private float[] logits(LanguageModel model, long[][] ids) {
        return logits(model, ids, false);
    }

    /**
     * @param training a training pass: quantized layers are dequantized and multiplied in F32, where an inference pass
     *     multiplies int8 codes (and packed int4 ones) with PyTorch's BF16 kernels
     */
    private float[] logits(LanguageModel model, long[][] ids, boolean training) {
        try (NDManager m = manager.newSubManager()) {
            NDArray input = m.create(flatten(ids), new Shape(ids.length, ids[0].length)); // (B, T)
            return model.forward(
                            ForwardRequest.builder(input).optTraining(training).build())
                    .logits()
                    .toFloatArray();
        }
    }

    /** exp of the mean next-token loss over the held-out sequences. */
    private double perplexity(LanguageModel model) {
        long[][] ids = heldOut();
        try (NDManager m = manager.newSubManager()) {
            NDArray input = m.create(flatten(ids), new Shape(ids.length, ids[0].length)); // (B, T)
            NDArray logits =
                    model.forward(ForwardRequest.builder(input).build()).logits(); // (B, T, V)
            return Math.exp(Losses.causalLm(logits, input).getFloat());
        }
    }

    private static long[] flatten(long[][] rows) {
        return java.util.Arrays.stream(rows)
                .flatMapToLong(java.util.Arrays::stream)
                .toArray();
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static float maxAbs(float[] a) {
        float m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static String name(Path source) {
        return source.getFileName().toString();
    }

    private static List<String> alphas(AwqQuantizer.Result result) {
        return result.searches().values().stream()
                .map(e -> String.valueOf(e[2]))
                .toList();
    }

    private static void checkpointCopy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    static ProgressReporter silent() {
        return new ProgressReporter() {
            @Override
            public void begin(String phase, long totalSteps) {}

            @Override
            public void step(long step, Map<String, Double> metrics) {}

            @Override
            public void message(String text) {}
        };
    }
}
