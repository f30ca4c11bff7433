package dev.osprey.align.rlhf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.chat.ChatPromptEncoder;
import dev.osprey.checkpoint.GenerationConfig;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.checkpoint.TokenizerConfig;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.decoder.CommonConfig;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.train.sft.ModelProvider;
import dev.osprey.train.sft.SftArguments;

/**
 * A tiny Qwen2-shaped chat model for alignment tests (as bundles/train's TinyChatModel): a word-level
 * tokenizer over a few questions, answers and the {@code <think>/<answer>} tags (added tokens, not special,
 * so they survive decoding), a ChatML template, and a provider that builds the seeded random model for a
 * folder, or loads its weights when the folder has them (a trained or saved model).
 */
final class TinyAlignModel {

    static final String CHATML =
            "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
                    + " + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** Question, right answer, wrong answer. */
    static final List<String[]> QA = List.of(
            new String[] {"capital of france", "paris", "rome"},
            new String[] {"capital of italy", "rome", "paris"},
            new String[] {"colour of the sky", "blue", "green"},
            new String[] {"two plus two", "four", "five"});

    static final List<String> TAGS = List.of("<think>", "</think>", "<answer>", "</answer>");

    private TinyAlignModel() {}

    static Path folder(Path dir) throws IOException {
        Files.createDirectories(dir);
        Set<String> words =
                new LinkedHashSet<>(List.of("<unk>", "<|im_start|>", "<|im_end|>", "user", "assistant", "system"));
        words.addAll(TAGS);
        for (String[] qa : QA) {
            for (String part : qa) {
                words.addAll(List.of(part.split(" ")));
            }
        }
        StringBuilder vocab = new StringBuilder();
        int id = 0;
        for (String w : words) {
            vocab.append(id == 0 ? "" : ",").append('"').append(w).append("\":").append(id++);
        }
        String added = "{\"id\":%d,\"content\":\"%s\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                + "\"normalized\":false,\"special\":%s}";
        StringBuilder addedTokens = new StringBuilder(
                String.format(added, 1, "<|im_start|>", true) + "," + String.format(added, 2, "<|im_end|>", true));
        for (int i = 0; i < TAGS.size(); i++) {
            addedTokens.append(',').append(String.format(added, 6 + i, TAGS.get(i), false));
        }
        String json =
                "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[" + addedTokens + "],"
                        + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                        + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"<unk>\"}}";
        Files.writeString(dir.resolve("tokenizer.json"), json);
        ObjectMapper mapper = new ObjectMapper();
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                mapper.writeValueAsString(Map.of("chat_template", CHATML, "eos_token", "<|im_end|>")));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architectures", List.of("Qwen2ForCausalLM"));
        config.put("model_type", "qwen2");
        config.put("vocab_size", 32);
        config.put("hidden_size", 64);
        config.put("intermediate_size", 128);
        config.put("num_hidden_layers", 2);
        config.put("num_attention_heads", 4);
        config.put("num_key_value_heads", 2);
        config.put("initializer_range", 0.1);
        config.put("tie_word_embeddings", true);
        Files.writeString(dir.resolve("config.json"), mapper.writeValueAsString(config));
        return dir;
    }

    /** The folder's model: seeded random weights, or the folder's own when it has model.safetensors. */
    static HfModel load(Path folder, NDManager manager) throws IOException {
        HfConfig hf = HfConfig.read(folder.resolve("config.json"));
        DecoderModel model = new DecoderModel(
                hf,
                CommonConfig.read(hf, false, "silu").spec(true, false, false, false, 0f, 1, 0),
                manager,
                DataType.FLOAT32,
                3);
        List<String> unused = List.of();
        if (Files.isRegularFile(folder.resolve("model.safetensors"))) {
            unused = ModelLoader.loadWeights(model, WeightFiles.open(folder), manager, DataType.FLOAT32);
        }
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                folder.resolve("tokenizer.json"),
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        return new HfModel(
                folder, hf, model, tokenizer, TokenizerConfig.read(folder), GenerationConfig.empty(), unused);
    }

    /** Loads whatever folder --model names. */
    static ModelProvider provider() {
        return new ModelProvider() {
            @Override
            public HfModel load(SftArguments args, NDManager manager) throws IOException {
                return TinyAlignModel.load(Path.of(args.model()), manager);
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

    /** Preference pairs in ms-swift's format (rejected_response), each question repeated. */
    static Path pairs(Path file, int repeats) throws IOException {
        StringBuilder jsonl = new StringBuilder();
        for (int r = 0; r < repeats; r++) {
            for (String[] qa : QA) {
                jsonl.append(String.format(
                        "{\"query\": \"%s\", \"response\": \"%s\", \"rejected_response\": \"%s\"}%n",
                        qa[0], qa[1], qa[2]));
            }
        }
        Files.writeString(file, jsonl);
        return file;
    }

    /** KTO rows: each question with its right answer (label true) and its wrong one (label false). */
    static Path kto(Path file, boolean withLabels) throws IOException {
        StringBuilder jsonl = new StringBuilder();
        for (String[] qa : QA) {
            jsonl.append(String.format(
                    "{\"query\": \"%s\", \"response\": \"%s\"%s}%n",
                    qa[0], qa[1], withLabels ? ", \"label\": true" : ""));
            jsonl.append(String.format(
                    "{\"query\": \"%s\", \"response\": \"%s\"%s}%n",
                    qa[0], qa[2], withLabels ? ", \"label\": false" : ""));
        }
        Files.writeString(file, jsonl);
        return file;
    }
}
