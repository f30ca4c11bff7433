package dev.osprey.model.load;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.osprey.api.model.LanguageModel;
import dev.osprey.checkpoint.GenerationConfig;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.checkpoint.TokenizerConfig;

/**
 * A loaded Hugging Face model folder. Closing it frees the weights and the tokenizer.
 *
 * @param folder where it was loaded from
 * @param config its config.json
 * @param model the network with its weights
 * @param tokenizer tokenizer.json, when the folder has one (commands on token ids work without)
 * @param tokenizerConfig tokenizer_config.json (special tokens, chat template), possibly empty
 * @param generationConfig generation_config.json defaults, possibly empty
 * @param unusedWeights checkpoint tensors the architecture has no place for (reported, not fatal)
 */
public record HfModel(
        Path folder,
        HfConfig config,
        LanguageModel model,
        HuggingFaceTokenizer tokenizer,
        TokenizerConfig tokenizerConfig,
        GenerationConfig generationConfig,
        List<String> unusedWeights)
        implements AutoCloseable {

    public Optional<HuggingFaceTokenizer> optTokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
        model.close();
    }
}
