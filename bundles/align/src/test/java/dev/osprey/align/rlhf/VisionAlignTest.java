package dev.osprey.align.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;
import dev.osprey.chat.ChatPromptEncoder;
import dev.osprey.dataset.DatasetException;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.models.qwenvl.Qwen2VlArchitecture;
import dev.osprey.train.sft.ModelProvider;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.SftJob;

/**
 * Preference and RL training with images on the vision demo (demo/tiny-vl, a Qwen2-VL-shaped model made by
 * tools/make-vision-demo.py, and the coloured shapes of demo/vision): every row asks the same question, "what colour
 * is the shape ?", so only the picture tells the right answer from the wrong one.
 */
class VisionAlignTest {

    static final Path DEMO =
            Path.of("../../distribution/src/main/dist/demo").toAbsolutePath().normalize();
    static final Path TINY_VL = DEMO.resolve("tiny-vl");
    static final List<String> COLOURS = List.of("red", "green", "blue", "yellow");

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    /** Loads --model with Qwen2-VL's architecture; the media step reads the demo's image processor. */
    static ModelProvider provider() {
        Qwen2VlArchitecture architecture = new Qwen2VlArchitecture();
        return new ModelProvider() {
            @Override
            public HfModel load(SftArguments args, NDManager manager) throws IOException {
                return ModelLoader.load(Path.of(args.model()), c -> architecture, manager, DataType.FLOAT32);
            }

            @Override
            public PromptEncoder prompts(HfModel model) {
                return ChatPromptEncoder.ownTemplate(
                                model.tokenizer(), model.tokenizerConfig(), model.generationConfig())
                        .withMediaPlaceholders(media(model).placeholders());
            }

            @Override
            public MediaProcessor media(HfModel model) {
                return architecture.mediaProcessor(model.config(), TINY_VL);
            }

            @Override
            public void close() {}
        };
    }

    /** One row per square and circle of each colour (images by path relative to the dataset file's folder). */
    private Path rows(String file, boolean rejected, boolean solution) throws IOException {
        Path images = DEMO.resolve("vision/images");
        StringBuilder jsonl = new StringBuilder();
        for (int c = 0; c < COLOURS.size(); c++) {
            String colour = COLOURS.get(c);
            for (String shape : List.of("square-0", "circle-1")) {
                String image = dir.relativize(images.resolve(colour + "-" + shape + ".png"))
                        .toString();
                jsonl.append("{\"messages\": [{\"role\": \"user\", \"content\": \"<image>what colour is the shape ?\"},"
                        + " {\"role\": \"assistant\", \"content\": \"" + colour + "\"}]");
                if (rejected) { // the next colour: each colour is chosen in one row and rejected in another
                    jsonl.append(", \"rejected_response\": \"" + COLOURS.get((c + 1) % COLOURS.size()) + "\"");
                }
                if (solution) {
                    jsonl.append(", \"solution\": \"" + colour + "\"");
                }
                jsonl.append(", \"images\": [\"" + image + "\"]}\n");
            }
        }
        Path data = dir.resolve(file);
        Files.writeString(data, jsonl);
        return data;
    }

    private SftArguments common(String model, Path data, int steps, String out) {
        return new SftArguments()
                .model(model)
                .dataset(data.toString())
                .maxLength(64)
                .perDeviceTrainBatchSize(8)
                .learningRate(1e-2)
                .maxSteps(steps)
                .warmupRatio(0)
                .loraRank(8)
                .loraAlpha(16)
                .loraDropout(0)
                .loggingSteps(1)
                .saveSteps(0)
                .outputDir(dir.resolve(out))
                .seed(1);
    }

    @Test
    void dpoWithImagesPrefersTheColourThePictureShows() throws Exception {
        RlhfArguments args = new RlhfArguments()
                .rlhfType("dpo")
                .common(common(TINY_VL.toString(), rows("pairs.jsonl", true, false), 20, "dpo"));
        RlhfJob.Result result = new RlhfJob(args, provider(), null, null).train(manager);

        double[] accuracies = result.metric("rewards/accuracies");
        double[] margins = result.metric("rewards/margins");
        assertEquals(0.0, margins[0], 1e-6, "step 1: the policy is the reference");
        // each colour is chosen in two rows and rejected in two others under the same question: only the picture
        // can separate them all
        assertEquals(1.0, accuracies[accuracies.length - 1], 1e-9, "accuracies " + Arrays.toString(accuracies));
        assertTrue(margins[margins.length - 1] > 0.2, "margins " + Arrays.toString(margins));
    }

    @Test
    void ktoWithImagesSeparatesDesirableFromUndesirableAnswers() throws Exception {
        Path images = DEMO.resolve("vision/images");
        StringBuilder jsonl = new StringBuilder();
        for (int c = 0; c < COLOURS.size(); c++) {
            String image = images.resolve(COLOURS.get(c) + "-square-0.png").toString();
            for (int answer = 0; answer < 2; answer++) {
                String colour = COLOURS.get((c + answer) % COLOURS.size());
                jsonl.append("{\"messages\": [{\"role\": \"user\", \"content\": \"<image>what colour is the shape ?\"},"
                        + " {\"role\": \"assistant\", \"content\": \"" + colour + "\"}], \"label\": "
                        + (answer == 0) + ", \"images\": [\"" + image + "\"]}\n");
            }
        }
        Path data = dir.resolve("kto.jsonl");
        Files.writeString(data, jsonl);
        RlhfArguments args = new RlhfArguments().rlhfType("kto").common(common(TINY_VL.toString(), data, 20, "kto"));
        RlhfJob.Result result = new RlhfJob(args, provider(), null, null).train(manager);
        double[] chosen = result.metric("rewards/chosen");
        double[] rejected = result.metric("rewards/rejected");
        double[] losses = result.metric("loss");
        assertTrue(
                chosen[chosen.length - 1] > rejected[rejected.length - 1] + 0.2,
                "chosen " + Arrays.toString(chosen) + " rejected " + Arrays.toString(rejected));
        assertTrue(losses[losses.length - 1] < losses[0], "losses " + Arrays.toString(losses));
    }

    @Test
    void aPreferenceRowWithAMissingImageNamesTheRowAndTheImage() throws Exception {
        Path data = dir.resolve("missing.jsonl");
        Files.writeString(
                data,
                "{\"messages\": [{\"role\": \"user\", \"content\": \"<image>what colour is the shape ?\"},"
                        + " {\"role\": \"assistant\", \"content\": \"red\"}], \"rejected_response\": \"blue\","
                        + " \"images\": [\"no-such-picture.png\"]}\n");
        RlhfArguments args = new RlhfArguments().rlhfType("dpo").common(common(TINY_VL.toString(), data, 1, "bad"));
        DatasetException e =
                assertThrows(DatasetException.class, () -> new RlhfJob(args, provider(), null, null).train(manager));
        assertTrue(e.getMessage().contains("missing.jsonl:1"), e.getMessage());
        assertTrue(e.getMessage().contains("no-such-picture.png"), e.getMessage());
    }

    /** 1 when the completion's first word is the row's {@code solution}. */
    static final class ColourReward implements RewardFunction {
        @Override
        public String name() {
            return "colour";
        }

        @Override
        public double[] score(List<RewardSample> samples) {
            double[] out = new double[samples.size()];
            for (int i = 0; i < out.length; i++) {
                String[] words = samples.get(i).completion().strip().split("\\s+");
                out[i] = words[0].equals(samples.get(i).columns().get("solution")) ? 1 : 0;
            }
            return out;
        }
    }

    @Test
    void grpoRolloutsSeeThePromptsImagesAndTrainOnThem() throws Exception {
        // a base that answers from the picture some of the time: a short SFT on the same rows
        SftArguments sft = common(TINY_VL.toString(), rows("sft.jsonl", false, false), 30, "sft")
                .trainType("full")
                .learningRate(3e-3);
        Path base = new SftJob(sft, provider()).train(manager).lastCheckpoint();

        SftArguments common = common(base.toString(), rows("prompts.jsonl", false, true), 4, "grpo")
                .gradientAccumulationSteps(4)
                .learningRate(1e-3)
                .seed(11);
        RlhfArguments args = new RlhfArguments()
                .rlhfType("grpo")
                .rewardFuncs("colour")
                .numGenerations(8)
                .maxCompletionLength(3)
                .temperature(0.7)
                .beta(0.04)
                .common(common);
        RewardFunction colour = new ColourReward();
        RlhfJob.Rewards rewards = name -> RewardModelFunction.handle(colour, "test");
        RlhfJob.Result result = new RlhfJob(args, provider(), rewards, null).train(manager);

        double[] reward = result.metric("reward");
        double[] losses = result.metric("loss");
        assertEquals(4, reward.length);
        // every prompt asks the same question: more right answers than a guess among 4 colours (0.25) come from the
        // picture, so the rollouts saw each prompt's image
        assertTrue(reward[0] > 0.5, "mean reward by step " + Arrays.toString(reward));
        assertTrue(Arrays.stream(losses).allMatch(Double::isFinite), "losses " + Arrays.toString(losses));
        double[] lengths = result.metric("completions/mean_length");
        assertTrue(lengths[0] > 0, "completion lengths " + Arrays.toString(lengths));
    }

    @Test
    void aRewardModelScoresEachCompletionWithItsPromptsImage() throws Exception {
        // a reward model trained on pairs whose chosen colour is the picture's and rejected one the next colour
        SftArguments rm = common(TINY_VL.toString(), rows("pairs.jsonl", true, false), 20, "rm");
        RlhfJob.Result trained =
                new RlhfJob(new RlhfArguments().rlhfType("rm").common(rm), provider(), null, null).train(manager);
        Path saved = trained.lastCheckpoint();
        ModelProvider provider = provider();
        HfModel loaded = provider.load(new SftArguments().model(saved.toString()), manager);
        try (RewardModel model = RewardModel.load(loaded, manager)) { // closes loaded
            RewardModelFunction function =
                    new RewardModelFunction(model, provider.prompts(loaded), provider.media(loaded), 64);
            Path images = DEMO.resolve("vision/images");
            List<RewardSample> samples = new java.util.ArrayList<>();
            for (int c = 0; c < COLOURS.size(); c++) {
                Path picture = images.resolve(COLOURS.get(c) + "-square-0.png");
                for (int answer = 0; answer < 2; answer++) {
                    samples.add(new RewardSample(
                            List.of(new ChatMessage(
                                    "user",
                                    List.of(
                                            ContentPart.image(picture.toString()),
                                            ContentPart.text("what colour is the shape ?")),
                                    List.of(),
                                    "",
                                    "")),
                            COLOURS.get((c + answer) % COLOURS.size()),
                            null,
                            java.util.Map.of()));
                }
            }
            double[] scores = function.score(samples);
            // each colour is right for one picture and wrong (the next colour) for another, under the same text: a
            // score of the text alone cannot rank every right answer above its wrong one
            for (int c = 0; c < COLOURS.size(); c++) {
                assertTrue(
                        scores[2 * c] > scores[2 * c + 1],
                        COLOURS.get(c) + " picture: scores " + Arrays.toString(scores));
            }
        }

        // and as GRPO's --reward_model, on prompts whose images are relative to their dataset file
        SftArguments common = common(TINY_VL.toString(), rows("prompts.jsonl", false, true), 1, "grpo-rm")
                .perDeviceTrainBatchSize(2);
        RlhfJob.Result rl = new RlhfJob(
                        new RlhfArguments()
                                .rlhfType("grpo")
                                .rewardModel(saved.toString())
                                .numGenerations(2)
                                .maxCompletionLength(2)
                                .common(common),
                        provider(),
                        null,
                        null)
                .train(manager);
        java.util.Map<String, Object> step = rl.steps().get(0);
        assertTrue(
                step.containsKey("rewards/reward_model/mean")
                        && Double.isFinite((Double) step.get("rewards/reward_model/mean")),
                step.toString());
    }
}
