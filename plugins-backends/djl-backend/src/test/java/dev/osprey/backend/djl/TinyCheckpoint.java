package dev.osprey.backend.djl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.ModelSaver;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.LoraWeights;
import dev.osprey.models.llama.LlamaArchitecture;

/**
 * Writes real, tiny, random Llama checkpoints for the tests: config.json and model.safetensors made by
 * the model core, a word-level tokenizer.json, generation_config.json (EOS), tokenizer_config.json
 * (a ChatML template), and a PEFT LoRA adapter.
 */
public final class TinyCheckpoint {

    static final int EOS = 2;
    static final String CHATML =
            "{% for message in messages %}{{ '<|im_start|>' + message['role'] + ' ' + message['content']"
                    + " + '<|im_end|>' + ' ' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant ' }}{% endif %}";

    private TinyCheckpoint() {}

    /** The words of the vocabulary: specials first, then w5, w6, ... */
    public static List<String> words(int vocab) {
        List<String> words = new ArrayList<>(
                List.of("<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "user", "assistant", "system"));
        for (int i = words.size(); i < vocab; i++) {
            words.add("w" + i);
        }
        return words;
    }

    /**
     * A Llama model folder.
     *
     * @param maxPositions max_position_embeddings, the context length the backend serves
     * (weights: the architecture's own seeded initialisation, N(0, 0.2))
     */
    public static Path model(
            Path folder, int vocab, int hidden, int layers, int heads, int kvHeads, int intermediate, int maxPositions)
            throws IOException {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", "llama");
        config.put("architectures", List.of("LlamaForCausalLM"));
        config.put("vocab_size", vocab);
        config.put("hidden_size", hidden);
        config.put("intermediate_size", intermediate);
        config.put("num_hidden_layers", layers);
        config.put("num_attention_heads", heads);
        config.put("num_key_value_heads", kvHeads);
        config.put("max_position_embeddings", maxPositions);
        config.put("initializer_range", 0.2);
        config.put("rms_norm_eps", 1e-6);
        config.put("tie_word_embeddings", false);
        config.put("bos_token_id", 1);
        config.put("eos_token_id", EOS);
        try (NDManager manager = NDManager.newBaseManager()) {
            HfConfig hf = HfConfig.of(config, folder.resolve("config.json"));
            DecoderModel model = (DecoderModel) new LlamaArchitecture().build(hf, manager);
            ModelSaver.save(
                    model,
                    folder,
                    "F32",
                    Map.of(
                            "tokenizer.json", tokenizer(vocab).getBytes(StandardCharsets.UTF_8),
                            "generation_config.json",
                                    ("{\"bos_token_id\": 1, \"eos_token_id\": " + EOS + "}")
                                            .getBytes(StandardCharsets.UTF_8),
                            "tokenizer_config.json",
                                    ("{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"add_bos_token\": false,"
                                                    + " \"chat_template\": \""
                                                    + CHATML.replace("\\", "\\\\")
                                                            .replace("\"", "\\\"") + "\"}")
                                            .getBytes(StandardCharsets.UTF_8)));
        }
        return folder;
    }

    /** A word-level tokenizer over {@link #words}; the decoder joins words with spaces. */
    static String tokenizer(int vocab) {
        List<String> words = words(vocab);
        StringBuilder map = new StringBuilder();
        for (int i = 0; i < words.size(); i++) {
            map.append(i == 0 ? "" : ",")
                    .append('"')
                    .append(words.get(i))
                    .append("\":")
                    .append(i);
        }
        String special = "{\"id\":%d,\"content\":\"%s\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                + "\"normalized\":false,\"special\":true}";
        StringBuilder added = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            added.append(i == 0 ? "" : ",").append(String.format(special, i, words.get(i)));
        }
        return "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[" + added + "],"
                + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + map + "},\"unk_token\":\"<unk>\"}}";
    }

    /** A PEFT LoRA adapter on q_proj and v_proj with random A and B, saved to {@code folder}. */
    public static Path adapter(Path modelFolder, Path folder, int rank, long seed) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            HfConfig hf = HfConfig.read(modelFolder.resolve("config.json"));
            DecoderModel model = (DecoderModel) new LlamaArchitecture().build(hf, manager);
            manager.getEngine().setRandomSeed((int) seed);
            for (Linear l : model.linears()) {
                if (l.name().endsWith("q_proj") || l.name().endsWith("v_proj")) {
                    l.attach(
                            "a",
                            new LoraWeights(
                                    manager.randomNormal(
                                            0f,
                                            0.3f,
                                            new Shape(rank, l.inFeatures()),
                                            ai.djl.ndarray.types.DataType.FLOAT32),
                                    manager.randomNormal(
                                            0f,
                                            0.3f,
                                            new Shape(l.outFeatures(), rank),
                                            ai.djl.ndarray.types.DataType.FLOAT32),
                                    LoraWeights.scaling(2 * rank, rank, false)));
                }
            }
            PeftAdapter.save(folder, model.linears(), "a", rank, 2 * rank, false, modelFolder.toString());
        }
        return folder;
    }
}
