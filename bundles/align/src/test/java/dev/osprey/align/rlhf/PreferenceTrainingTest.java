package dev.osprey.align.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDManager;

import dev.osprey.train.sft.SftArguments;

/** DPO, SimPO, ORPO, CPO and KTO through {@link RlhfJob} on the tiny chat model. */
class PreferenceTrainingTest {

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private RlhfArguments args(String type, Path data, int steps) throws Exception {
        Path model = TinyAlignModel.folder(dir.resolve("model"));
        SftArguments common = new SftArguments()
                .model(model.toString())
                .dataset(data.toString())
                .maxLength(64)
                .perDeviceTrainBatchSize(4)
                .learningRate(1e-2)
                .maxSteps(steps)
                .warmupRatio(0)
                .loraRank(8)
                .loraAlpha(16)
                .loraDropout(0)
                .loggingSteps(1)
                .saveSteps(0)
                .outputDir(dir.resolve("out-" + type))
                .seed(1);
        return new RlhfArguments().rlhfType(type).common(common);
    }

    @Test
    void dpoWithLoraSeparatesChosenFromRejectedOnItsPairs() throws Exception {
        RlhfArguments args = args("dpo", TinyAlignModel.pairs(dir.resolve("pairs.jsonl"), 1), 15);
        RlhfJob.Result result = new RlhfJob(args, TinyAlignModel.provider(), null, null).train(manager);

        double[] margins = result.metric("rewards/margins");
        double[] accuracies = result.metric("rewards/accuracies");
        // the first step runs the untrained adapter (B = 0): the policy equals the reference
        assertEquals(0.0, margins[0], 1e-6);
        assertEquals(0.0, accuracies[0], 1e-9);
        assertTrue(margins[margins.length - 1] > 0.5, "margins " + Arrays.toString(margins));
        assertEquals(1.0, accuracies[accuracies.length - 1], 1e-9, "accuracies " + Arrays.toString(accuracies));
        double[] losses = result.metric("loss");
        assertEquals(Math.log(2), losses[0], 1e-5, "sigmoid DPO starts at -log(sigmoid(0))");
        assertTrue(losses[losses.length - 1] < 0.3, "losses " + Arrays.toString(losses));

        // logging.jsonl with TRL's names, a PEFT checkpoint, the plot
        Path out = args.common().outputDir();
        List<String> lines = Files.readAllLines(out.resolve("logging.jsonl"));
        assertEquals(15, lines.size());
        JsonNode last = new ObjectMapper().readTree(lines.get(14));
        for (String name : List.of(
                "loss",
                "learning_rate",
                "grad_norm",
                "rewards/chosen",
                "rewards/rejected",
                "rewards/accuracies",
                "rewards/margins",
                "logps/chosen",
                "logps/rejected")) {
            assertTrue(last.has(name), name + " in " + last);
        }
        assertTrue(Files.isRegularFile(result.lastCheckpoint().resolve("adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(result.lastCheckpoint().resolve("trainer_state.json")));
        assertTrue(Files.isRegularFile(result.plot()));
        assertEquals(
                "dpo",
                new ObjectMapper()
                        .readTree(out.resolve("args.json").toFile())
                        .path("rlhf_type")
                        .asText());
    }

    @Test
    void qloraDpoOnAFourBitBaseReachesFullAccuracy() throws Exception {
        RlhfArguments args = args("dpo", TinyAlignModel.pairs(dir.resolve("pairs.jsonl"), 1), 15);
        args.common().quantBits(4).useDora(true);
        RlhfJob.Result result = new RlhfJob(args, TinyAlignModel.provider(), null, null).train(manager);
        double[] accuracies = result.metric("rewards/accuracies");
        double[] margins = result.metric("rewards/margins");
        assertEquals(1.0, accuracies[accuracies.length - 1], 1e-9, "accuracies " + Arrays.toString(accuracies));
        assertTrue(margins[margins.length - 1] > 0.5, "margins " + Arrays.toString(margins));
    }

    @Test
    void fullTuningDpoComparesWithAFrozenCopyOfTheInitialWeights() throws Exception {
        RlhfArguments args = args("dpo", TinyAlignModel.pairs(dir.resolve("pairs.jsonl"), 1), 8);
        args.common().trainType("full").learningRate(2e-3);
        RlhfJob.Result result = new RlhfJob(args, TinyAlignModel.provider(), null, null).train(manager);
        double[] margins = result.metric("rewards/margins");
        assertEquals(0.0, margins[0], 1e-6, "at step 1 the policy is the reference");
        assertTrue(margins[margins.length - 1] > 0.2, "margins " + Arrays.toString(margins));
        assertTrue(
                Files.isRegularFile(result.lastCheckpoint().resolve("model.safetensors")),
                "a full checkpoint is a Hugging Face folder");
    }

    @Test
    void referenceFreeMethodsRaiseTheChosenOverTheRejected() throws Exception {
        Path data = TinyAlignModel.pairs(dir.resolve("pairs.jsonl"), 1);
        for (String type : List.of("simpo", "orpo", "cpo")) {
            RlhfJob.Result result =
                    new RlhfJob(args(type, data, 12), TinyAlignModel.provider(), null, null).train(manager);
            double[] logpsChosen = result.metric("logps/chosen");
            double[] logpsRejected = result.metric("logps/rejected");
            int last = logpsChosen.length - 1;
            assertTrue(
                    logpsChosen[last] - logpsRejected[last] > logpsChosen[0] - logpsRejected[0] + 1.0,
                    type + ": chosen " + Arrays.toString(logpsChosen) + " rejected " + Arrays.toString(logpsRejected));
            assertEquals(1.0, result.metric("rewards/accuracies")[last], 1e-9, type);
        }
    }

    @Test
    void ktoRaisesDesirableAndLowersUndesirableAnswers() throws Exception {
        RlhfArguments args = args("kto", TinyAlignModel.kto(dir.resolve("kto.jsonl"), true), 15);
        RlhfJob.Result result = new RlhfJob(args, TinyAlignModel.provider(), null, null).train(manager);
        // per step a batch of 4 of the 8 rows: compare the mean of the last steps with the first
        double[] chosen = result.metric("rewards/chosen");
        double[] rejected = result.metric("rewards/rejected");
        double[] losses = result.metric("loss");
        assertTrue(losses[losses.length - 1] < losses[0] - 0.05, "losses " + Arrays.toString(losses));
        assertTrue(
                finite(chosen) > 0 && finite(rejected) < 0,
                "rewards chosen " + Arrays.toString(chosen) + " rejected " + Arrays.toString(rejected));
    }

    /** The last finite value (a batch may lack one side). */
    private static double finite(double[] values) {
        for (int i = values.length - 1; i >= 0; i--) {
            if (Double.isFinite(values[i])) {
                return values[i];
            }
        }
        return Double.NaN;
    }

    @Test
    void ktoRowsWithoutLabelsAndPairsWithoutRejectedAreNamedByFileAndLine() throws Exception {
        Path unlabelled = TinyAlignModel.kto(dir.resolve("nolabel.jsonl"), false);
        var e = assertThrows(
                IllegalArgumentException.class,
                () -> new RlhfJob(args("kto", unlabelled, 2), TinyAlignModel.provider(), null, null).train(manager));
        assertTrue(
                e.getMessage().matches(".*nolabel.jsonl:\\d+: .*")
                        && e.getMessage().contains("label"),
                e.getMessage());
        Path sft = dir.resolve("sft.jsonl");
        Files.writeString(sft, "{\"query\": \"two plus two\", \"response\": \"four\"}\n");
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new RlhfJob(args("dpo", sft, 2), TinyAlignModel.provider(), null, null).train(manager));
        assertTrue(e.getMessage().contains("sft.jsonl:1") && e.getMessage().contains("rejected"), e.getMessage());
    }

    @Test
    void notStrictSkipsRowsWithNothingToAlignOnAndNamesThemByFileAndLine() throws Exception {
        Path kto = TinyAlignModel.kto(dir.resolve("kto.jsonl"), true);
        int good = Files.readAllLines(kto).size();
        Files.writeString(
                kto,
                "{\"query\": \"capital of france\", \"label\": true}\n"
                        + "{\"query\": \"capital of italy\", \"response\": \"rome\"}\n",
                java.nio.file.StandardOpenOption.APPEND);
        RlhfArguments args = args("kto", kto, 2);
        args.common().strict(false);
        List<String> messages = new java.util.ArrayList<>();
        new RlhfJob(args, TinyAlignModel.provider(), null, new dev.osprey.train.loop.TrainingListener() {
                    @Override
                    public void message(String text) {
                        messages.add(text);
                    }
                })
                .train(manager);
        String summary = messages.stream()
                .filter(m -> m.startsWith("skipped "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(messages));
        String noAnswer = kto + ":" + (good + 1) + ": the conversation does not end with an assistant answer";
        String noLabel =
                kto + ":" + (good + 2) + ": no 'label' (true for a desirable answer, false for an undesirable one);"
                        + " --rlhf_type kto needs it on every row";
        // in the order the (shuffled) rows were met
        assertTrue(
                summary.equals("skipped 2 bad rows (--strict false): " + noAnswer + "; " + noLabel)
                        || summary.equals("skipped 2 bad rows (--strict false): " + noLabel + "; " + noAnswer),
                summary);
        assertTrue(messages.stream().anyMatch(m -> m.contains("on " + good + " examples")), messages.toString());

        args.common().strict(true);
        var e = assertThrows(
                dev.osprey.dataset.DatasetException.class,
                () -> new RlhfJob(args, TinyAlignModel.provider(), null, null).train(manager));
        assertTrue(e.getMessage().equals(noAnswer) || e.getMessage().equals(noLabel), e.getMessage());
    }
}
