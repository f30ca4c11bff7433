package dev.osprey.train.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.Conversation;
import dev.osprey.chat.JinjaChatTemplate;
import dev.osprey.dataset.DatasetReader;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.dataset.DatasetSpec;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.train.loop.Checkpoints;
import dev.osprey.train.loop.RunFolder;
import dev.osprey.train.loop.StepLog;
import dev.osprey.train.loop.Trainer;
import dev.osprey.train.loop.TrainerOptions;

/**
 * LoRA SFT end to end on real parts: a JSONL dataset in ms-swift's query/response format, a ChatML
 * Jinja template, a tokenizer.json, a random Qwen2-shaped model, real autograd and AdamW. The model
 * must learn the answers: training loss far below the uniform guess, then the answers back greedily.
 */
class SftTrainerTest {

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private List<SftExample> examples(HuggingFaceTokenizer tokenizer) throws Exception {
        Path data = TinyChatModel.dataset(dir.resolve("train.jsonl"), 1);
        List<DatasetRow> rows = new DatasetReader().read(DatasetSpec.parse(data.toString()));
        return SftExample.encodeAll(
                rows, TinyChatModel.chatml(tokenizer), 64, "all_assistant", SftExample.Truncation.DELETE);
    }

    private Path tokenizer() throws Exception {
        return TinyChatModel.folder(dir).resolve("tokenizer.json");
    }

    private DecoderModel model(Path folder) {
        return TinyChatModel.model(manager, folder);
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }

    @Test
    void resumingFromACheckpointContinuesWithTheSameLosses() throws Exception {
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                tokenizer(), Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            List<SftExample> examples = examples(tokenizer);
            // batches of 3 over 4 examples: epochs and batches do not line up, so the data position matters
            TrainerOptions options = new TrainerOptions(3, 2, 1e-2, "cosine", 0.1, 0.01, 1.0, 0, 12, 5);
            LoraConfig lora = new LoraConfig(4, 8, Set.of(LoraConfig.ALL_LINEAR), false);

            DecoderModel straight = model(dir);
            lora.attach(straight.linears(), "sft", manager, 7);
            Path runA = dir.resolve("a");
            RunFolder folderA = new RunFolder(
                    runA,
                    Map.of(),
                    1,
                    5,
                    2,
                    d -> PeftAdapter.writeFiles(d, straight.linears(), "sft", 4, 8, false, "tiny"),
                    null);
            List<StepLog> uninterrupted = new Trainer(options, folderA, null)
                    .train(
                            new CausalLmObjective(straight, "sft", 0, false),
                            examples,
                            List.of(),
                            LoraConfig.trainable(straight.linears(), "sft"))
                    .steps();
            assertEquals(
                    List.of(runA.resolve("checkpoint-10"), runA.resolve("checkpoint-12")),
                    Checkpoints.list(runA),
                    "--save_total_limit 2 keeps the two newest");

            // a second process: the same base, the adapter and optimizer of checkpoint-10, then the rest
            Path runB = dir.resolve("b");
            DecoderModel resumed = model(dir);
            Files.createDirectories(runB);
            copyTree(runA.resolve("checkpoint-10"), runB.resolve("checkpoint-10"));
            PeftAdapter.attach(runB.resolve("checkpoint-10"), resumed.linears(), "sft", manager);
            RunFolder folderB = new RunFolder(
                    runB,
                    Map.of(),
                    1,
                    5,
                    2,
                    d -> PeftAdapter.writeFiles(d, resumed.linears(), "sft", 4, 8, false, "tiny"),
                    runB.resolve("checkpoint-10"));
            List<StepLog> continued = new Trainer(options, folderB, null)
                    .train(
                            new CausalLmObjective(resumed, "sft", 0, false),
                            examples,
                            List.of(),
                            LoraConfig.trainable(resumed.linears(), "sft"))
                    .steps();
            assertEquals(12, continued.size());
            for (int i = 10; i < 12; i++) {
                assertEquals(uninterrupted.get(i).loss(), continued.get(i).loss(), 1e-6, "loss of step " + (i + 1));
                assertEquals(
                        uninterrupted.get(i).learningRate(),
                        continued.get(i).learningRate(),
                        0,
                        "lr of step " + (i + 1));
            }
        }
    }

    @Test
    void loraSftLearnsTheAnswersAndReproducesThemGreedily() throws Exception {
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                tokenizer(), Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            JinjaChatTemplate template = JinjaChatTemplate.of("chatml", TinyChatModel.CHATML, Map.of());
            List<SftExample> examples = examples(tokenizer);
            DecoderModel model = model(dir);
            Map<String, NDArray> before = new LinkedHashMap<>();
            model.parameters().forEach((k, v) -> before.put(k, v.duplicate()));

            new LoraConfig(8, 16, Set.of(LoraConfig.ALL_LINEAR), false).attach(model.linears(), "sft", manager, 7);
            Map<String, NDArray> trainable = LoraConfig.trainable(model.linears(), "sft");
            TrainerOptions options = new TrainerOptions(4, 1, 1e-2, "cosine", 0.1, 0.0, 1.0, 0, 80, 1);
            List<StepLog> logs = new Trainer(options, null, null)
                    .train(new CausalLmObjective(model, "sft", 0, false), examples, List.of(), trainable)
                    .steps();

            double first = logs.get(0).loss();
            double last = logs.get(logs.size() - 1).loss();
            // uniform guessing over 24 tokens costs ln 24 = 3.18 nats, and knowing the four answers without
            // telling the prompts apart still costs ln 4 / 2 = 0.69; below 0.1 every answer token has
            // probability > 0.9: each answer is tied to its question
            assertTrue(first > 2.0, "first loss " + first);
            assertTrue(last < 0.1, "last loss " + last);
            before.forEach((k, v) -> assertEquals(
                    0f, model.parameters().get(k).sub(v).abs().max().getFloat(), 0f, k));

            int imEnd = 2;
            for (String[] qa : TinyChatModel.QA) {
                String prompt = template.apply(Conversation.of(List.of(ChatMessage.of("user", qa[0]))), true, Map.of());
                int[] ids = java.util.Arrays.stream(tokenizer.encode(prompt).getIds())
                        .mapToInt(x -> (int) x)
                        .toArray();
                Generator.Result answer = Generator.generate(
                                model,
                                List.of(ids),
                                GenerationOptions.greedy(5, Set.of(imEnd)),
                                "sft",
                                t -> tokenizer.decode(
                                        java.util.Arrays.stream(t)
                                                .asLongStream()
                                                .toArray(),
                                        true),
                                null)
                        .get(0);
                assertEquals(qa[1], answer.text().trim(), "answer to '" + qa[0] + "'");
                assertEquals("stop", answer.finishReason());
            }
        }
    }
}
