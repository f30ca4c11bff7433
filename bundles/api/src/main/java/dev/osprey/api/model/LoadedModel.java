package dev.osprey.api.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.hardware.DeviceId;

/**
 * A model loaded by the {@link ModelService}: the network with its weights, what came with it in its
 * folder, and the prompt encoder. While it is open it holds the extensions it was built with (the
 * architecture, the chat template), so their bundles' classes stay in use; closing it frees the weights,
 * the tokenizer and those handles. Not thread-safe for changes (attaching, merging); forward passes follow
 * {@link LanguageModel}'s rules.
 */
@ProviderType
public interface LoadedModel extends AutoCloseable {

    /** The network, its parameters loaded (and adapters attached or merged as requested). */
    LanguageModel model();

    /** Its config.json. */
    ModelConfig config();

    /** The folder it was loaded from (after a download: the cache folder). */
    Path folder();

    /** The device its weights are on. */
    DeviceId device();

    /** The text tokenizer of tokenizer.json; empty when the folder has none (work on token ids only). */
    Optional<TextTokenizer> tokenizer();

    /**
     * Conversations to token ids and loss masks, with the template chosen by the precedence documented on
     * {@link PromptEncoder} ({@code --template} from {@link ModelRequest#template()}).
     *
     * @throws IllegalArgumentException when the folder has no tokenizer.json
     */
    PromptEncoder prompts();

    /** generation_config.json's defaults and the context length. */
    GenerationDefaults generation();

    /** The names of the adapters attached unmerged, in order; merged ones are part of the weights. */
    List<String> adapters();

    /**
     * The implementation's own view of the model, for platform bundles that need more than the API gives
     * (e.g. {@code dev.osprey.model.load.HfModel}); empty when it is not that type.
     */
    <T> Optional<T> unwrap(Class<T> type);

    @Override
    void close();
}
