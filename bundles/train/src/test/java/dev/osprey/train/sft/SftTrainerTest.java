package dev.osprey.train.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.Conversation;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.chat.JinjaChatTemplate;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.dataset.DatasetReader;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.dataset.DatasetSpec;
import dev.osprey.model.decoder.CommonConfig;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;

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

    static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
            + " + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    static final List<String[]> QA = List.of(new String[] {"capital of france", "paris"},
            new String[] {"capital of italy", "rome"}, new String[] {"colour of the sky", "blue"},
            new String[] {"two plus two", "four"});

    /** A word-level tokenizer over the words of the data, with ChatML's special tokens. */
    private Path tokenizer() throws Exception {
        Set<String> words = new LinkedHashSet<>(List.of("<unk>", "<|im_start|>", "<|im_end|>", "user", "assistant", "system"));
        for (String[] qa : QA) {
            words.addAll(List.of(qa[0].split(" ")));
            words.addAll(List.of(qa[1].split(" ")));
        }
        StringBuilder vocab = new StringBuilder();
        int id = 0;
        for (String w : words) {
            vocab.append(id == 0 ? "" : ",").append('"').append(w).append("\":").append(id++);
        }
        String special = "{\"id\":%d,\"content\":\"%s\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                + "\"normalized\":false,\"special\":true}";
        String json = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
                + String.format(special, 1, "<|im_start|>") + "," + String.format(special, 2, "<|im_end|>") + "],"
                + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"<unk>\"}}";
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json);
        return file;
    }

    private DecoderModel model(Path configDir) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", "qwen2");
        config.put("vocab_size", 24);
        config.put("hidden_size", 64);
        config.put("intermediate_size", 128);
        config.put("num_hidden_layers", 2);
        config.put("num_attention_heads", 4);
        config.put("num_key_value_heads", 2);
        config.put("initializer_range", 0.1);
        HfConfig hf = HfConfig.of(config, configDir.resolve("config.json"));
        return new DecoderModel(hf, CommonConfig.read(hf, false, "silu").spec(true, false, false, false, 0f, 1, 0), manager,
                DataType.FLOAT32, 3);
    }

    private List<SftExample> examples(HuggingFaceTokenizer tokenizer) throws Exception {
        StringBuilder jsonl = new StringBuilder();
        for (String[] qa : QA) {
            jsonl.append("{\"query\": \"").append(qa[0]).append("\", \"response\": \"").append(qa[1]).append("\"}\n");
        }
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, jsonl);
        List<DatasetRow> rows = new DatasetReader().read(DatasetSpec.parse(data.toString()));
        return SftExample.encodeAll(rows, JinjaChatTemplate.of("chatml", CHATML, Map.of()), new ChatEncoder(tokenizer), 64,
                "all_assistant");
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
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(tokenizer(),
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            List<SftExample> examples = examples(tokenizer);
            // batches of 3 over 4 examples: epochs and batches do not line up, so the data position matters
            SftTrainer.Options options = new SftTrainer.Options(3, 2, 1e-2, "cosine", 0.1, 0.01, 1.0, 0, 12, 5);
            LoraConfig lora = new LoraConfig(4, 8, Set.of(LoraConfig.ALL_LINEAR), false);

            DecoderModel straight = model(dir);
            lora.attach(straight.linears(), "sft", manager, 7);
            Path runA = dir.resolve("a");
            List<SftTrainer.StepLog> uninterrupted = SftTrainer.train(straight, "sft", LoraConfig.trainable(straight.linears(), "sft"),
                    examples, 0, options, new Checkpoints(runA, 5, 2, d -> dev.osprey.model.load.PeftAdapter.writeFiles(d,
                            straight.linears(), "sft", 4, 8, false, "tiny")), null, null);
            assertEquals(List.of(runA.resolve("checkpoint-10"), runA.resolve("checkpoint-12")), Checkpoints.list(runA),
                    "--save_total_limit 2 keeps the two newest");

            // a second process: the same base, the adapter and optimizer of checkpoint-10, then the rest
            Path runB = dir.resolve("b");
            DecoderModel resumed = model(dir);
            Files.createDirectories(runB);
            copyTree(runA.resolve("checkpoint-10"), runB.resolve("checkpoint-10"));
            dev.osprey.model.load.PeftAdapter.attach(runB.resolve("checkpoint-10"), resumed.linears(), "sft", manager);
            Checkpoints.Resume resume = Checkpoints.load(runB.resolve("checkpoint-10"), manager);
            assertEquals(10, resume.step());
            List<SftTrainer.StepLog> continued = SftTrainer.train(resumed, "sft", LoraConfig.trainable(resumed.linears(), "sft"),
                    examples, 0, options, new Checkpoints(runB, 5, 2, d -> dev.osprey.model.load.PeftAdapter.writeFiles(d,
                            resumed.linears(), "sft", 4, 8, false, "tiny")), resume, null);
            assertEquals(12, continued.size());
            for (int i = 10; i < 12; i++) {
                assertEquals(uninterrupted.get(i).loss(), continued.get(i).loss(), 1e-6, "loss of step " + (i + 1));
                assertEquals(uninterrupted.get(i).learningRate(), continued.get(i).learningRate(), 0, "lr of step " + (i + 1));
            }
        }
    }

    @Test
    void loraSftLearnsTheAnswersAndReproducesThemGreedily() throws Exception {
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(tokenizer(),
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            JinjaChatTemplate template = JinjaChatTemplate.of("chatml", CHATML, Map.of());
            List<SftExample> examples = examples(tokenizer);
            DecoderModel model = model(dir);
            Map<String, NDArray> before = new LinkedHashMap<>();
            model.parameters().forEach((k, v) -> before.put(k, v.duplicate()));

            List<NDArray> lora = new LoraConfig(8, 16, Set.of(LoraConfig.ALL_LINEAR), false).attach(model.linears(), "sft", manager, 7);
            Map<String, NDArray> trainable = new LinkedHashMap<>();
            for (int i = 0; i < lora.size(); i++) {
                trainable.put("lora." + i, lora.get(i));
            }
            SftTrainer.Options options = new SftTrainer.Options(4, 1, 1e-2, "cosine", 0.1, 0.0, 1.0, 0, 80, 1);
            List<SftTrainer.StepLog> logs = SftTrainer.train(model, "sft", trainable, examples, 0, options, null);

            double first = logs.get(0).loss();
            double last = logs.get(logs.size() - 1).loss();
            // uniform guessing over 24 tokens costs ln 24 = 3.18 nats, and knowing the four answers without
            // telling the prompts apart still costs ln 4 / 2 = 0.69; below 0.1 every answer token has
            // probability > 0.9: each answer is tied to its question
            assertTrue(first > 2.0, "first loss " + first);
            assertTrue(last < 0.1, "last loss " + last);
            before.forEach((k, v) -> assertEquals(0f, model.parameters().get(k).sub(v).abs().max().getFloat(), 0f, k));

            int imEnd = 2;
            for (String[] qa : QA) {
                String prompt = template.apply(Conversation.of(List.of(ChatMessage.of("user", qa[0]))), true, Map.of());
                int[] ids = java.util.Arrays.stream(tokenizer.encode(prompt).getIds()).mapToInt(x -> (int) x).toArray();
                Generator.Result answer = Generator.generate(model, List.of(ids), GenerationOptions.greedy(5, Set.of(imEnd)), "sft",
                        t -> tokenizer.decode(java.util.Arrays.stream(t).asLongStream().toArray(), true), null).get(0);
                assertEquals(qa[1], answer.text().trim(), "answer to '" + qa[0] + "'");
                assertEquals("stop", answer.finishReason());
            }
        }
    }
}
