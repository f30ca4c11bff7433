package dev.osprey.chat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.model.ModelEntry;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.checkpoint.TokenizerConfig;

/**
 * The chat template of a model, chosen by the one precedence documented on {@link PromptEncoder}:
 * {@code --template}, the registry entry of the model id, the folder's own {@code chat_template}, the template
 * registered for its {@code model_type}. A template taken from a plugin holds its handle until {@link #close()}.
 *
 * @param template the template
 * @param origin the step that chose it, one of {@code PromptEncoder.FROM_*}
 * @param handle the plugin's handle, or null for the folder's own Jinja template
 */
public record ChosenTemplate(ChatTemplate template, String origin, ExtensionHandle<ChatTemplate> handle)
        implements AutoCloseable {

    public ChosenTemplate {
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(origin, "origin");
    }

    /**
     * Chooses the template.
     *
     * @param argument {@code --template}, or null
     * @param modelId what the user gave as {@code --model}, for its registry entry
     * @param modelType the model's {@code model_type}, or null
     * @param tokenizerConfig the folder's tokenizer_config.json (and chat_template.jinja)
     * @param extensions the installed template plugins
     * @param registry the model registry
     * @throws IllegalArgumentException naming {@code --template} when nothing gives a template, or the template
     *         named by {@code --template} when it is not installed
     */
    public static ChosenTemplate choose(
            String argument,
            String modelId,
            String modelType,
            TokenizerConfig tokenizerConfig,
            ExtensionRegistry extensions,
            ModelRegistry registry) {
        if (argument != null && !argument.isBlank()) {
            return new ChosenTemplate(extensions.require(ChatTemplate.class, argument), PromptEncoder.FROM_ARGUMENT);
        }
        List<String> missing = new ArrayList<>();
        Optional<String> registered =
                registry.find(modelId).map(ModelEntry::chatTemplate).filter(t -> !t.isEmpty());
        if (registered.isPresent()) {
            Optional<ExtensionHandle<ChatTemplate>> handle = extensions.acquire(ChatTemplate.class, registered.get());
            if (handle.isPresent()) {
                return new ChosenTemplate(handle.get(), PromptEncoder.FROM_REGISTRY);
            }
            missing.add(registered.get()); // its bundle went away: the folder's own template, else an error naming it
        }
        if (tokenizerConfig.defaultChatTemplate().isPresent()) {
            return new ChosenTemplate(
                    JinjaChatTemplate.from(tokenizerConfig), PromptEncoder.FROM_TOKENIZER_CONFIG, null);
        }
        List<String> byType = modelType == null
                ? List.of()
                : registry.byModelType(modelType).stream()
                        .map(ModelEntry::chatTemplate)
                        .filter(t -> !t.isEmpty())
                        .distinct()
                        .toList();
        if (byType.size() == 1) {
            Optional<ExtensionHandle<ChatTemplate>> handle = extensions.acquire(ChatTemplate.class, byType.get(0));
            if (handle.isPresent()) {
                return new ChosenTemplate(handle.get(), PromptEncoder.FROM_MODEL_TYPE);
            }
            missing.add(byType.get(0));
        }
        Path folder = tokenizerConfig.source() == null
                ? null
                : tokenizerConfig.source().getParent();
        throw new IllegalArgumentException(
                (folder == null ? modelId : folder) + " has no chat_template in tokenizer_config.json"
                        + (missing.isEmpty()
                                ? ""
                                : " and its registered template " + String.join(", ", missing) + " is not installed")
                        + ": pass --template NAME (e.g. chatml, qwen3, llama3)");
    }

    private ChosenTemplate(ExtensionHandle<ChatTemplate> handle, String origin) {
        this(handle.get(), origin, handle);
    }

    @Override
    public void close() {
        if (handle != null) {
            handle.close();
        }
    }
}
