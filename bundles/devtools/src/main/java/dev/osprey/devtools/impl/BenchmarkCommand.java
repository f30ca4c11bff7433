package dev.osprey.devtools.impl;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.KvCache;
import dev.osprey.cli.spi.ModelOptions;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.TorchDtype;
import dev.osprey.model.nn.InferenceThreads;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.QuantSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osprey benchmark}: load time, prefill and batch-1 decode speed and peak memory of one model, and
 * this machine's memory bandwidth measured in the same run, so decode speed can be read as a fraction
 * of the bandwidth bound (every weight byte is read once per decoded token).
 */
@Command(
        name = "benchmark",
        mixinStandardHelpOptions = true,
        description =
                "Measure load time, prefill and decode tokens/s and peak memory, against this machine's memory bandwidth.")
public class BenchmarkCommand extends DevCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--prompt_tokens", defaultValue = "128")
    int promptTokens;

    @Option(names = "--new_tokens", defaultValue = "32")
    int newTokens;

    @Option(
            names = "--repeats",
            defaultValue = "3",
            description = "decode runs; the median is reported (this machine is shared and noisy)")
    int repeats;

    @Option(
            names = "--quant_bits",
            defaultValue = "0",
            description = "8 (int8 per row) or 4 (--quant_type nf4 or int4): quantize the decoder's linear layers while"
                    + " loading; inference multiplies int8 and int4 codes with packed kernels, nf4 is dequantized"
                    + " (default: dense)")
    int quantBits;

    @Option(names = "--quant_type", description = "with --quant_bits 4: nf4 (default) or int4")
    String quantType;

    @Option(names = "--output", paramLabel = "FILE", description = "also write the figures as JSON")
    Path output;

    @Option(
            names = "--profile",
            paramLabel = "FILE",
            description = "after the timed runs, one more run (prompt and decode) under PyTorch's profiler: its"
                    + " Chrome trace to FILE, and the operators' time per decoded token printed")
    Path profile;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> figures = new LinkedHashMap<>();
        List<AutoCloseable> handles = new ArrayList<>();
        try (NDManager manager = platform.requireEngine().newManager(Device.cpu())) {
            long start = System.nanoTime();
            try (HfModel model = ModelLoading.load(
                    platform,
                    modelOptions,
                    manager,
                    handles,
                    quantBits == 0 ? null : QuantSpec.of(quantBits, quantType))) {
                figures.put("load_s", (System.nanoTime() - start) / 1e9);
                // int4 layers (--quant_type int4, GPTQ/AWQ checkpoints) multiply by their codes, as serving does
                List<String> unpacked = ModelLoader.packForInference(model.model());
                figures.put("int4_layers_dequantized_per_pass", unpacked.size());
                if (!unpacked.isEmpty()) {
                    figures.put("int4_layer_not_packed", unpacked.get(0));
                }
                long bytesPerToken = weightBytesPerToken(model);
                figures.put("model", model.folder().toString());
                figures.put(
                        "dtype",
                        TorchDtype.of(modelOptions.request().torchDtype()).toString());
                figures.put(
                        "quantization",
                        quantBits == 0
                                ? "none"
                                : QuantSpec.of(quantBits, quantType).toString());
                figures.put(
                        "parameters",
                        model.model().parameters().values().stream()
                                .mapToLong(a -> a.getShape().size())
                                .sum());
                figures.put("weight_bytes_read_per_token", bytesPerToken);
                int vocab = model.config().requireInt("vocab_size");
                long[] prompt = new long[promptTokens];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = 1 + (i * 7919L) % (vocab - 1);
                }
                // warm-up: the first passes pay for allocations, kernel selection, JIT and starting threads
                run(model, manager, prompt, Math.min(newTokens, 8));
                // each decode run is read against a bandwidth probe taken just before it: the load of
                // this shared machine changes from minute to minute, and both figures move with it
                int runs = Math.max(1, repeats);
                double[] prefill = new double[runs];
                double[] decode = new double[runs];
                double[] bandwidth = new double[runs];
                double[] oneCore = new double[runs];
                double[] fraction = new double[runs];
                for (int r = 0; r < runs; r++) {
                    double[] probe = bandwidth(manager);
                    bandwidth[r] = probe[0];
                    oneCore[r] = probe[1];
                    double[] timing = run(model, manager, prompt, newTokens);
                    prefill[r] = promptTokens / timing[0];
                    decode[r] = newTokens / timing[1];
                    fraction[r] = decode[r] / (bandwidth[r] * 1e9 / bytesPerToken);
                }
                figures.put("memory_bandwidth_gb_s", median(bandwidth));
                figures.put("memory_bandwidth_one_core_gb_s", median(oneCore));
                figures.put("inference_threads", InferenceThreads.threads());
                figures.put("prefill_tokens_per_s", median(prefill));
                figures.put("decode_tokens_per_s", median(decode));
                figures.put("decode_runs", runs(decode, bandwidth));
                figures.put("decode_bandwidth_bound_tokens_per_s", median(bandwidth) * 1e9 / bytesPerToken);
                figures.put("decode_fraction_of_bound", median(fraction));
                // resident memory while the model is loaded and decoding: weights, caches, the JVM (peak_rss_mib
                // below also counts loading's temporaries)
                long rssKb = MemorySampler.statusKb("VmRSS:");
                figures.put("rss_after_decode_mib", rssKb < 0 ? -1 : rssKb / 1024);
                if (profile != null) {
                    OpProfile.record(() -> run(model, manager, prompt, newTokens), profile);
                    OpProfile.print(out(), OpProfile.topLevel(profile), newTokens, 25);
                }
            }
        } finally {
            for (AutoCloseable h : handles) {
                h.close();
            }
        }
        figures.put("peak_rss_mib", peakRssMib());
        report(out(), figures, output);
        return 0;
    }

    /** @return {prefill seconds, decode seconds} for one prompt and {@code steps} greedy-free decode steps */
    private static double[] run(HfModel model, NDManager manager, long[] prompt, int steps) {
        try (KvCache cache = model.model().newCache(1)) {
            long t0 = System.nanoTime();
            try (NDArray logits = model.model()
                    .forward(ForwardRequest.builder(manager.create(prompt, new Shape(1, prompt.length)))
                            .optCache(cache)
                            .optLastPositionOnly(true)
                            .build())
                    .logits()) {
                logits.toFloatArray(); // wait for the result, as a real caller would
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                try (NDArray ids = manager.create(new long[] {prompt[i % prompt.length]}, new Shape(1, 1));
                        NDArray logits = model.model()
                                .forward(ForwardRequest.builder(ids)
                                        .optCache(cache)
                                        .optLastPositionOnly(true)
                                        .build())
                                .logits()) {
                    logits.toFloatArray();
                }
            }
            long t2 = System.nanoTime();
            return new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9};
        }
    }

    /** Bytes of weights one decoded token reads: all of them but the embedding table (one row is read), unless tied. */
    static long weightBytesPerToken(HfModel model) {
        Map<String, NDArray> params = model.model().parameters();
        long total = 0;
        for (NDArray a : params.values()) {
            total += a.getShape().size() * a.getDataType().getNumOfBytes();
        }
        // a quantized layer's codes and scales have left the parameters
        for (Linear l : LoraMerge.linearsOf(model.model())) {
            if (l.quantizedWeight() != null) {
                total += l.weightBytes();
            }
        }
        NDArray embedding = params.get("model.embed_tokens.weight");
        boolean tied = !params.containsKey("lm_head.weight");
        return tied || embedding == null
                ? total
                : total - embedding.getShape().size() * embedding.getDataType().getNumOfBytes();
    }

    /**
     * Read bandwidth in GB/s: {all cores, one core}, each the best of five sums over a 1 GiB float32 array
     * (larger than any cache); all cores sum one slice each at once, as a split decode reads its weights.
     */
    static double[] bandwidth(NDManager manager) throws InterruptedException, ExecutionException {
        long size = 256L * 1024 * 1024;
        int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(cores);
        try (NDArray big = manager.ones(new Shape(size), DataType.FLOAT32)) {
            List<NDArray> slices = new ArrayList<>();
            for (int c = 0; c < cores; c++) {
                slices.add(big.get(new NDIndex("{}:{}", size * c / cores, size * (c + 1) / cores)));
            }
            double oneCore = Double.MAX_VALUE;
            double allCores = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long t = System.nanoTime();
                try (NDArray s = big.sum()) {
                    s.getFloat();
                }
                oneCore = Math.min(oneCore, (System.nanoTime() - t) / 1e9);
                t = System.nanoTime();
                List<Future<Float>> sums = new ArrayList<>();
                for (NDArray slice : slices) {
                    sums.add(pool.submit(() -> {
                        try (NDArray s = slice.sum()) {
                            return s.getFloat();
                        }
                    }));
                }
                for (Future<Float> f : sums) {
                    f.get();
                }
                allCores = Math.min(allCores, (System.nanoTime() - t) / 1e9);
            }
            slices.forEach(NDArray::close);
            double bytes = size * 4.0;
            return new double[] {Math.max(bytes / allCores, bytes / oneCore) / 1e9, bytes / oneCore / 1e9};
        } finally {
            pool.shutdown();
        }
    }

    /** "tok/s @ GB/s" per run, for the record. */
    private static String runs(double[] decode, double[] bandwidth) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < decode.length; i++) {
            parts.add(String.format("%.2f tok/s @ %.1f GB/s", decode[i], bandwidth[i]));
        }
        return String.join(", ", parts);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** The process's peak resident memory (VmHWM), or -1 where /proc is missing. */
    static long peakRssMib() {
        long kb = MemorySampler.statusKb("VmHWM:");
        return kb < 0 ? -1 : kb / 1024;
    }

    /** Prints the figures, one per line, and writes them as JSON to {@code output} when given. */
    static void report(PrintWriter out, Map<String, Object> figures, Path output) throws IOException {
        for (Map.Entry<String, Object> e : figures.entrySet()) {
            out.printf(
                    "%-36s %s%n",
                    e.getKey(), e.getValue() instanceof Double d ? String.format("%.3f", d) : e.getValue());
        }
        if (output != null) {
            Files.writeString(
                    output,
                    new ObjectMapper()
                            .enable(SerializationFeature.INDENT_OUTPUT)
                            .writeValueAsString(figures));
        }
        out.flush();
    }
}
