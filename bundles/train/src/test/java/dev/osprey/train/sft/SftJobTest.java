package dev.osprey.train.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.train.loop.Checkpoints;
import dev.osprey.train.loop.TrainingListener;

/** The training engine through its Java API, on the tiny chat model: what users of {@code SftJob} get. */
class SftJobTest {

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    /** A checkpoint copied into another run's folder, as a second process would find it. */
    private static void copyCheckpoint(Path from, Path to) throws java.io.IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private long[] forwardIds() {
        return new long[] {1, 3, 6, 7, 8, 2, 1, 4};
    }

    @Test
    void loraWithPackingEvaluatesPlotsAndMergesIntoAnEquivalentModel() throws Exception {
        Path model = TinyChatModel.folder(dir.resolve("model"));
        Path data = TinyChatModel.dataset(dir.resolve("train.jsonl"), 4);
        Path out = dir.resolve("out");
        SftArguments args = new SftArguments()
                .model(model.toString())
                .dataset(data.toString())
                .valDataset(data + "#4")
                .maxLength(64)
                .packing(true)
                .perDeviceTrainBatchSize(2)
                .learningRate(1e-2)
                .maxSteps(30)
                .warmupRatio(0.1)
                .loraRank(8)
                .loraAlpha(16)
                .evalSteps(10)
                .saveSteps(15)
                .outputDir(out)
                .mergeLora(true)
                .seed(1);
        List<String> messages = new ArrayList<>();
        SftJob.Result result = new SftJob(args, TinyChatModel.provider(model), new TrainingListener() {
                    @Override
                    public void message(String text) {
                        messages.add(text);
                    }
                })
                .train(manager);

        assertEquals(30, result.steps().size());
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("packed 16 samples into ")), messages.toString());
        assertEquals(List.of(10L, 20L, 30L), List.copyOf(result.evalLosses().keySet()));
        double firstEval = result.evalLosses().get(10L);
        double lastEval = result.evalLosses().get(30L);
        assertTrue(lastEval < firstEval && lastEval < 0.5, "eval loss " + result.evalLosses());
        // logging.jsonl carries the eval losses, args.json the arguments, loss.png the plot
        long evalLines = Files.readAllLines(out.resolve("logging.jsonl")).stream()
                .filter(l -> l.contains("eval_loss"))
                .count();
        assertEquals(3, evalLines);
        assertEquals(
                8,
                new ObjectMapper()
                        .readTree(out.resolve("args.json").toFile())
                        .path("lora_rank")
                        .asInt());
        byte[] png = Files.readAllBytes(result.plot());
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
        assertEquals(List.of(out.resolve("checkpoint-15"), out.resolve("checkpoint-30")), Checkpoints.list(out));

        // the merged folder is a Hugging Face model equal to base + adapter
        Path merged = result.mergedModel();
        for (String file : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            assertTrue(Files.isRegularFile(merged.resolve(file)), file);
        }
        DecoderModel withAdapter = TinyChatModel.model(manager, model);
        PeftAdapter.attach(result.lastCheckpoint(), withAdapter.linears(), "a", manager);
        DecoderModel mergedModel = TinyChatModel.model(manager, model);
        ModelLoader.loadWeights(mergedModel, WeightFiles.open(merged), manager, DataType.FLOAT32);
        NDArray ids = manager.create(forwardIds(), new Shape(1, 8));
        float[] expected = withAdapter
                .forward(ForwardRequest.builder(ids).optAdapter("a").build())
                .logits()
                .toFloatArray();
        float[] actual = mergedModel
                .forward(ForwardRequest.builder(ids).build())
                .logits()
                .toFloatArray();
        assertArrayEquals(expected, actual, 1e-4f);
    }

    @Test
    void aPackedBatchHasTheLossOfItsSamplesApart() throws Exception {
        DecoderModel model = TinyChatModel.model(manager, TinyChatModel.folder(dir));
        SftExample a = new SftExample(new int[] {1, 3, 4, 5, 2}, new int[] {-100, -100, 4, 5, 2}, "a");
        SftExample b = new SftExample(new int[] {1, 6, 7, 2}, new int[] {-100, 6, 7, 2}, "b");
        List<SftExample> packed = Packing.pack(List.of(a, b), 16);
        assertEquals(1, packed.size());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 0, 1, 2, 3}, packed.get(0).positionIds());
        double together = loss(model, packed);
        double apart = (loss(model, List.of(a)) * 3 + loss(model, List.of(b)) * 3) / 6; // 3 trained tokens each
        assertEquals(apart, together, 1e-5);
    }

    private double loss(DecoderModel model, List<SftExample> examples) {
        Batch batch = Batch.of(manager, examples, 0);
        NDArray logits = model.forward(ForwardRequest.builder(batch.inputIds())
                        .optAttentionMask(batch.attentionMask())
                        .optPositionIds(batch.positionIds())
                        .build())
                .logits(); // (B, T, V)
        return Losses.causalLm(logits, batch.labels()).getFloat();
    }

    @Test
    void preTrainingLearnsEveryTokenOfRawText() throws Exception {
        Path model = TinyChatModel.folder(dir.resolve("model"));
        Path text = dir.resolve("corpus.jsonl");
        Files.writeString(text, "{\"text\": \"capital of france paris\"}\n{\"text\": \"two plus two four\"}\n");
        SftArguments args = new SftArguments()
                .model(model.toString())
                .dataset(text.toString())
                .stage(SftArguments.Stage.PT)
                .trainType("full")
                .learningRate(3e-3)
                .maxSteps(25)
                .perDeviceTrainBatchSize(2)
                .outputDir(dir.resolve("pt"))
                .saveSteps(0)
                .warmupRatio(0)
                .seed(2);
        SftJob.Result result = new SftJob(args, TinyChatModel.provider(model)).train(manager);
        assertTrue(
                result.steps().get(0).loss() > 2.0 && result.finalLoss() < 0.2,
                "losses " + result.steps().get(0).loss() + " -> " + result.finalLoss());
        // every token but the first is trained: rows of 4 words + EOS predict 4 tokens each
        assertEquals(8, result.steps().get(0).tokens(), "tokens trained per step: (4 words + EOS - 1) x 2 rows");
        assertTrue(
                Files.isRegularFile(dir.resolve("pt").resolve("checkpoint-25").resolve("model.safetensors")));
        Map<?, ?> state = new ObjectMapper()
                .readValue(dir.resolve("pt/checkpoint-25/trainer_state.json").toFile(), Map.class);
        assertEquals(25, state.get("global_step"));
    }

    @Test
    void qDoraWithDropoutTrainsOnA4BitBaseAndMergesIntoTheFullPrecisionBase() throws Exception {
        Path model = TinyChatModel.folder(dir.resolve("model"));
        Path data = TinyChatModel.dataset(dir.resolve("train.jsonl"), 2);
        Path out = dir.resolve("qdora");
        SftArguments args = new SftArguments()
                .model(model.toString())
                .dataset(data.toString())
                .quantBits(4)
                .quantType("nf4")
                .useDora(true)
                .loraDropout(0.1)
                .loraRank(8)
                .loraAlpha(16)
                .perDeviceTrainBatchSize(4)
                .learningRate(1e-2)
                .maxSteps(40)
                .warmupRatio(0.1)
                .saveSteps(0)
                .outputDir(out)
                .mergeLora(true)
                .seed(3);
        List<String> messages = new ArrayList<>();
        SftJob.Result result = new SftJob(args, TinyChatModel.provider(model), new TrainingListener() {
                    @Override
                    public void message(String text) {
                        messages.add(text);
                    }
                })
                .train(manager);
        assertTrue(
                messages.stream().anyMatch(m -> m.startsWith("quantized ") && m.contains("4 bits (nf4)")),
                messages.toString());
        assertTrue(
                result.steps().get(0).loss() > 2.0 && result.finalLoss() < 0.5,
                "losses " + result.steps().get(0).loss() + " -> " + result.finalLoss());
        var config = new ObjectMapper()
                .readTree(result.lastCheckpoint().resolve("adapter_config.json").toFile());
        assertTrue(config.path("use_dora").asBoolean(), config.toString());

        DecoderModel withAdapter =
                TinyChatModel.model(manager, model); // full precision base + the trained DoRA adapter
        PeftAdapter.attach(result.lastCheckpoint(), withAdapter.linears(), "a", manager);
        DecoderModel merged = TinyChatModel.model(manager, model);
        ModelLoader.loadWeights(merged, WeightFiles.open(result.mergedModel()), manager, DataType.FLOAT32);
        NDArray ids = manager.create(forwardIds(), new Shape(1, 8));
        assertArrayEquals(
                withAdapter
                        .forward(ForwardRequest.builder(ids).optAdapter("a").build())
                        .logits()
                        .toFloatArray(),
                merged.forward(ForwardRequest.builder(ids).build()).logits().toFloatArray(),
                1e-4f);
    }

    @Test
    void loraDropoutActsInTrainingPassesOnly() {
        DecoderModel model = TinyChatModel.model(manager, dir);
        new LoraConfig(4, 8, java.util.Set.of(LoraConfig.ALL_LINEAR), false).attach(model.linears(), "a", manager, 1);
        // a non-zero B so the adapter's branch contributes
        model.linears().forEach(l -> l.adapter("a").b().addi(0.05f));
        LoraConfig.setDropout(model.linears(), "a", 0.5);
        NDArray ids = manager.create(forwardIds(), new Shape(1, 8));
        float[] eval1 = model.forward(
                        ForwardRequest.builder(ids).optAdapter("a").build())
                .logits()
                .toFloatArray();
        float[] eval2 = model.forward(
                        ForwardRequest.builder(ids).optAdapter("a").build())
                .logits()
                .toFloatArray();
        assertArrayEquals(eval1, eval2, 0f, "no dropout outside training");
        float[] train = model.forward(ForwardRequest.builder(ids)
                        .optAdapter("a")
                        .optTraining(true)
                        .build())
                .logits()
                .toFloatArray();
        double difference = 0;
        for (int i = 0; i < train.length; i++) {
            difference = Math.max(difference, Math.abs(train[i] - eval1[i]));
        }
        assertTrue(difference > 1e-3, "a training pass drops adapter inputs: max difference " + difference);
    }

    @Test
    void aResumedRunWithDropoutHasTheLossesOfAnUninterruptedOne() throws Exception {
        Path model = TinyChatModel.folder(dir.resolve("model"));
        Path data = TinyChatModel.dataset(dir.resolve("train.jsonl"), 3);
        java.util.function.Function<Path, SftArguments> args = out -> new SftArguments()
                .model(model.toString())
                .dataset(data.toString())
                .loraDropout(0.2)
                .perDeviceTrainBatchSize(3)
                .learningRate(1e-2)
                .maxSteps(12)
                .saveSteps(6)
                .outputDir(out)
                .seed(5);
        SftJob.Result whole = new SftJob(args.apply(dir.resolve("a")), TinyChatModel.provider(model)).train(manager);
        Path b = dir.resolve("b");
        copyCheckpoint(dir.resolve("a/checkpoint-6"), b.resolve("checkpoint-6"));
        SftJob.Result resumed = new SftJob(
                        args.apply(b).resumeFromCheckpoint(b.resolve("checkpoint-6")), TinyChatModel.provider(model))
                .train(manager);
        for (int step = 6; step < 12; step++) {
            assertEquals(
                    whole.steps().get(step).loss(),
                    resumed.steps().get(step).loss(),
                    1e-6,
                    "loss of step " + (step + 1));
        }
    }

    @Test
    void streamingTrainsFromFilesReadAsItGoesAndResumesExactly() throws Exception {
        Path model = TinyChatModel.folder(dir.resolve("model"));
        Path data = TinyChatModel.dataset(dir.resolve("train.jsonl"), 5);
        java.util.function.Function<Path, SftArguments> args = out -> new SftArguments()
                .model(model.toString())
                .dataset(data + "#12")
                .streaming(true)
                .shuffleBufferSize(5)
                .perDeviceTrainBatchSize(2)
                .learningRate(1e-2)
                .maxSteps(20)
                .saveSteps(10)
                .outputDir(out)
                .seed(4);
        SftJob.Result whole = new SftJob(args.apply(dir.resolve("a")), TinyChatModel.provider(model)).train(manager);
        assertEquals(20, whole.steps().size());
        assertTrue(
                whole.finalLoss() < whole.steps().get(0).loss() / 2,
                "losses " + whole.steps().get(0).loss() + " -> " + whole.finalLoss());
        Path b = dir.resolve("b");
        copyCheckpoint(dir.resolve("a/checkpoint-10"), b.resolve("checkpoint-10"));
        SftJob.Result resumed = new SftJob(
                        args.apply(b).resumeFromCheckpoint(b.resolve("checkpoint-10")), TinyChatModel.provider(model))
                .train(manager);
        for (int step = 10; step < 20; step++) {
            assertEquals(
                    whole.steps().get(step).loss(),
                    resumed.steps().get(step).loss(),
                    1e-6,
                    "loss of step " + (step + 1));
        }
    }

    @Test
    void theStreamingSourceShufflesThroughItsBufferAndStartsOverAtTheEnd() throws Exception {
        Path data = TinyChatModel.dataset(dir.resolve("rows.jsonl"), 1); // 4 rows
        dev.osprey.dataset.DatasetReader reader = new dev.osprey.dataset.DatasetReader();
        try (StreamingExamples stream = new StreamingExamples(
                dev.osprey.dataset.DatasetSpec.parseAll(List.of(data.toString())),
                reader,
                row -> java.util.Optional.of(new SftExample(new int[] {1}, new int[] {1}, row.source())),
                2,
                1)) {
            List<String> first = new ArrayList<>();
            List<String> second = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                first.add(stream.next().source());
            }
            for (int i = 0; i < 4; i++) {
                second.add(stream.next().source());
            }
            assertEquals(4, new java.util.HashSet<>(first).size(), "each row once per epoch: " + first);
            assertEquals(new java.util.HashSet<>(first), new java.util.HashSet<>(second));
            assertEquals(1, stream.epochs());
        }
    }
}
