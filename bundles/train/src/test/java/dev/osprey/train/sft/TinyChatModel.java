package dev.osprey.train.sft;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.chat.ChatPromptEncoder;
import dev.osprey.chat.JinjaChatTemplate;
import dev.osprey.checkpoint.GenerationConfig;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.checkpoint.TokenizerConfig;
import dev.osprey.model.decoder.CommonConfig;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;

/**
 * A tiny Qwen2-shaped chat model for training tests: a folder with config.json, a word-level
 * tokenizer.json over the words of {@link #QA} and a tokenizer_config.json with a ChatML template, and a
 * {@link ModelProvider} that builds the (seeded, random) model for it without an architecture plugin.
 */
final class TinyChatModel {

    static final String CHATML =
            "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
                    + " + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    static final List<String[]> QA = List.of(
            new String[] {"capital of france", "paris"},
            new String[] {"capital of italy", "rome"},
            new String[] {"colour of the sky", "blue"},
            new String[] {"two plus two", "four"});

    static final int VOCAB = 24;

    private TinyChatModel() {}

    /** Writes the model folder (no weights: the provider builds them) and returns it. */
    static Path folder(Path dir) throws IOException {
        Files.createDirectories(dir);
        Set<String> words =
                new LinkedHashSet<>(List.of("<unk>", "<|im_start|>", "<|im_end|>", "user", "assistant", "system"));
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
        Files.writeString(dir.resolve("tokenizer.json"), json);
        ObjectMapper mapper = new ObjectMapper();
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                mapper.writeValueAsString(Map.of("chat_template", CHATML, "eos_token", "<|im_end|>")));
        Files.writeString(dir.resolve("config.json"), mapper.writeValueAsString(config()));
        return dir;
    }

    static Map<String, Object> config() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", "qwen2");
        config.put("vocab_size", VOCAB);
        config.put("hidden_size", 64);
        config.put("intermediate_size", 128);
        config.put("num_hidden_layers", 2);
        config.put("num_attention_heads", 4);
        config.put("num_key_value_heads", 2);
        config.put("initializer_range", 0.1);
        return config;
    }

    /** The seeded random model of that config. */
    static DecoderModel model(NDManager manager, Path folder) {
        HfConfig hf = HfConfig.of(config(), folder.resolve("config.json"));
        return new DecoderModel(
                hf,
                CommonConfig.read(hf, false, "silu").spec(true, false, false, false, 0f, 1, 0),
                manager,
                DataType.FLOAT32,
                3);
    }

    /** A JSONL file of the question/answer pairs in ms-swift's query/response format, each repeated. */
    static Path dataset(Path file, int repeats) throws IOException {
        StringBuilder jsonl = new StringBuilder();
        for (int r = 0; r < repeats; r++) {
            for (String[] qa : QA) {
                jsonl.append("{\"query\": \"")
                        .append(qa[0])
                        .append("\", \"response\": \"")
                        .append(qa[1])
                        .append("\"}\n");
            }
        }
        Files.writeString(file, jsonl);
        return file;
    }

    /** Loads the tiny model for any --model; the model's own chat template only. */
    static ModelProvider provider(Path folder) {
        return new ModelProvider() {
            @Override
            public HfModel load(SftArguments args, NDManager manager) throws IOException {
                HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                        folder.resolve("tokenizer.json"),
                        Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
                return new HfModel(
                        folder,
                        HfConfig.of(config(), folder.resolve("config.json")),
                        model(manager, folder),
                        tokenizer,
                        TokenizerConfig.read(folder),
                        GenerationConfig.empty(),
                        List.of());
            }

            @Override
            public PromptEncoder prompts(HfModel model) {
                return ChatPromptEncoder.ownTemplate(
                        model.tokenizer(), model.tokenizerConfig(), model.generationConfig());
            }

            @Override
            public void close() {}
        };
    }

    /** The ChatML template named as {@code --template chatml} would give it, over {@code tokenizer}. */
    static PromptEncoder chatml(HuggingFaceTokenizer tokenizer) {
        return new ChatPromptEncoder(
                JinjaChatTemplate.of("chatml", CHATML, Map.of()),
                PromptEncoder.FROM_ARGUMENT,
                null,
                new ChatEncoder(tokenizer),
                OptionalInt.empty(),
                false);
    }
}
