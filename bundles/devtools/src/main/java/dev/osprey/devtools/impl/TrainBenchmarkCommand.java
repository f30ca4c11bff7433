package dev.osprey.devtools.impl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.cli.spi.ModelOptions;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.QuantSpec;
import dev.osprey.train.loop.StepLog;
import dev.osprey.train.loop.Trainer;
import dev.osprey.train.loop.TrainerOptions;
import dev.osprey.train.sft.CausalLmObjective;
import dev.osprey.train.sft.LoraConfig;
import dev.osprey.train.sft.SftExample;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osprey benchmark-train}: training tokens/s of one model with LoRA, QLoRA or full fine-tuning, the
 * fraction of this machine's matmul peak it reaches (measured in the same run), the bytes its weights
 * take and the process's peak memory.
 */
@Command(
        name = "benchmark-train",
        mixinStandardHelpOptions = true,
        description = "Measure training tokens/s, the fraction of the matmul peak, weight bytes and peak memory.")
public class TrainBenchmarkCommand extends DevCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--train_type", defaultValue = "lora", description = "lora or full (default: ${DEFAULT-VALUE})")
    String trainType;

    @Option(names = "--quant_bits", defaultValue = "0", description = "4 or 8 for QLoRA (default: none)")
    int quantBits;

    @Option(names = "--lora_rank", defaultValue = "8")
    int loraRank;

    @Option(names = "--per_device_train_batch_size", defaultValue = "4")
    int batchSize;

    @Option(names = "--max_length", defaultValue = "256", description = "tokens per sequence")
    int length;

    @Option(
            names = "--gradient_checkpointing",
            arity = "1",
            defaultValue = "true",
            description = "recompute each layer in the backward pass (default: ${DEFAULT-VALUE})")
    boolean checkpointing;

    @Option(names = "--steps", defaultValue = "5", description = "measured steps, after one warm-up step")
    int steps;

    @Option(names = "--output", paramLabel = "FILE", description = "also write the figures as JSON")
    Path output;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> figures = new LinkedHashMap<>();
        List<AutoCloseable> handles = new ArrayList<>();
        MemorySampler memory = new MemorySampler();
        handles.add(memory);
        try (NDManager manager = platform.requireEngine().newManager(Device.cpu())) {
            double peakBefore = matmulPeak(manager);
            QuantSpec quantization = quantBits > 0 && trainType.equals("lora") ? QuantSpec.of(quantBits, "nf4") : null;
            try (HfModel model = ModelLoading.load(platform, modelOptions, manager, handles, quantization)) {
                DecoderModel decoder = (DecoderModel) model.model();
                long linearParams = decoder.linears().stream()
                        .mapToLong(l -> l.inFeatures() * l.outFeatures())
                        .sum();
                Map<String, NDArray> trainable = new LinkedHashMap<>();
                String adapter = null;
                if (trainType.equals("full")) {
                    decoder.parameters().forEach((name, a) -> {
                        a.setRequiresGradient(true);
                        trainable.put(name, a);
                    });
                } else {
                    new LoraConfig(loraRank, 2.0 * loraRank, Set.of(LoraConfig.ALL_LINEAR), false)
                            .attach(decoder.linears(), "bench", manager, 1);
                    trainable.putAll(LoraConfig.trainable(decoder.linears(), "bench"));
                    adapter = "bench";
                }
                figures.put("train_type", trainType + (quantBits > 0 ? " (base " + quantBits + "-bit nf4)" : ""));
                // dense parameters, plus the quantized layers (which are no longer parameters)
                figures.put(
                        "weight_bytes",
                        decoder.parameters().values().stream()
                                        .mapToLong(a -> a.getShape().size()
                                                * a.getDataType().getNumOfBytes())
                                        .sum()
                                + decoder.linears().stream()
                                        .filter(l -> l.quantization().isPresent())
                                        .mapToLong(Linear::weightBytes)
                                        .sum());
                figures.put(
                        "trainable_parameters",
                        trainable.values().stream()
                                .mapToLong(a -> a.getShape().size())
                                .sum());
                int vocab = model.config().requireInt("vocab_size");
                List<SftExample> examples = randomExamples(vocab, batchSize * (steps + 1));
                figures.put("gradient_checkpointing", checkpointing);
                figures.put("rss_before_training_mib", MemorySampler.statusKb("VmRSS:") / 1024);
                figures.put("peak_native_mib_loading", memory.peakNativeMib());
                CausalLmObjective objective = new CausalLmObjective(decoder, adapter, 0, checkpointing);
                TrainerOptions warm = new TrainerOptions(batchSize, 1, 1e-4, "constant", 0, 0, 1.0, 0, 1, 1);
                new Trainer(warm, null, null).train(objective, examples.subList(0, batchSize), List.of(), trainable);
                TrainerOptions measured = new TrainerOptions(batchSize, 1, 1e-4, "constant", 0, 0, 1.0, 0, steps, 1);
                long start = System.nanoTime();
                List<StepLog> logs = new Trainer(measured, null, null)
                        .train(objective, examples.subList(batchSize, examples.size()), List.of(), trainable)
                        .steps();
                double seconds = (System.nanoTime() - start) / 1e9;
                // the peak measured before and after the steps, the better of the two: a shared machine is noisy
                double peak = Math.max(peakBefore, matmulPeak(manager));
                figures.put("matmul_peak_gflop_s", peak / 1e9);
                long tokens = (long) steps * batchSize * length;
                double tokensPerSecond = tokens / seconds;
                // per token: forward 2 flops per weight; backward 2 more for the activations' gradients, and 2
                // more for the weights' gradients when they are trained (full); attention adds 2 x 2 x T x hidden
                // per layer forward (QKᵀ and PV), times 3 with its backward
                int layers = model.config().requireInt("num_hidden_layers");
                int hidden = model.config().requireInt("hidden_size");
                double perToken =
                        (trainType.equals("full") ? 6.0 : 4.0) * linearParams + 3.0 * 4 * length * hidden * layers;
                figures.put("step_s", seconds / steps);
                figures.put("train_tokens_per_s", tokensPerSecond);
                figures.put("model_flops_per_token", perToken);
                figures.put("achieved_gflop_s", perToken * tokensPerSecond / 1e9);
                figures.put("fraction_of_matmul_peak", perToken * tokensPerSecond / peak);
                figures.put("last_loss", logs.get(logs.size() - 1).loss());
                // every measured step's, to set beside tools/hf-train-benchmark.py's on the same batches
                figures.put("losses", logs.stream().map(StepLog::loss).toList());
            }
        } finally {
            for (AutoCloseable h : handles) {
                h.close();
            }
        }
        figures.put("peak_native_mib", memory.peakNativeMib()); // tensors and native libraries, the Java heap excluded
        figures.put("peak_java_heap_mib", memory.peakHeapMib());
        figures.put("peak_rss_mib", BenchmarkCommand.peakRssMib());
        BenchmarkCommand.report(out(), figures, output);
        return 0;
    }

    private List<SftExample> randomExamples(int vocab, int count) {
        Random random = new Random(7);
        List<SftExample> examples = new ArrayList<>();
        for (int e = 0; e < count; e++) {
            int[] ids = new int[length];
            for (int i = 0; i < length; i++) {
                ids[i] = 1 + random.nextInt(vocab - 1);
            }
            int[] labels = ids.clone();
            labels[0] = -100;
            examples.add(new SftExample(ids, labels, "random #" + e));
        }
        return examples;
    }

    /** The best of five 1024³ F32 matmuls, in flop/s: what the CPU kernels reach on large square products. */
    static double matmulPeak(NDManager manager) {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.randomNormal(new Shape(1024, 1024), DataType.FLOAT32);
            NDArray b = m.randomNormal(new Shape(1024, 1024), DataType.FLOAT32);
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long t = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0);
                }
                best = Math.min(best, (System.nanoTime() - t) / 1e9);
            }
            return 2.0 * 1024 * 1024 * 1024 / best;
        }
    }
}
