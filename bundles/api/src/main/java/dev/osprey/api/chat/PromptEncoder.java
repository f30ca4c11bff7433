package dev.osprey.api.chat;

import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The one way a conversation becomes model input, for training, alignment, serving and the command line:
 * the chat template renders {@link Segment}s, each text segment is tokenized on its own (no special tokens
 * added: the template writes them), and a position's label is its id where the segment is trainable,
 * {@link EncodedPrompt#IGNORE_INDEX} elsewhere. Media parts become {@link MediaInput}s at their position
 * for a multimodal family's encoder; a text-only model refuses them.
 *
 * <p><b>Template precedence</b> (one rule everywhere, after ms-swift, where {@code --template} overrides
 * the template registered for the model):
 * <ol>
 * <li>{@code --template NAME} given: that {@link ChatTemplate} plugin, or an error naming it and the
 * installed ones;</li>
 * <li>the model registry's entry for the model id ({@code template} of its {@code models.json} entry), when
 * that template is installed;</li>
 * <li>tokenizer_config.json's (or chat_template.jinja's) {@code chat_template}, rendered as transformers'
 * {@code apply_chat_template} does;</li>
 * <li>the template the registry gives the model's {@code model_type} (its entries agreeing on one), as
 * ms-swift's per-{@code model_type} default;</li>
 * <li>none: {@link #template()} is empty, and encoding a conversation fails with an error that says to pass
 * {@code --template} (plain texts still encode).</li>
 * </ol>
 * {@link #templateOrigin()} says which step chose the template. Thread-safe.
 */
@ProviderType
public interface PromptEncoder {

    /** {@link #templateOrigin()}: {@code --template} chose it. */
    String FROM_ARGUMENT = "argument";
    /** {@link #templateOrigin()}: the registry entry of the model id chose it. */
    String FROM_REGISTRY = "registry";
    /** {@link #templateOrigin()}: the model folder's own {@code chat_template}. */
    String FROM_TOKENIZER_CONFIG = "tokenizer_config";
    /** {@link #templateOrigin()}: the template registered for the model's {@code model_type}. */
    String FROM_MODEL_TYPE = "model_type";

    /** The template in use; empty when no step of the precedence gives one. */
    Optional<ChatTemplate> template();

    /** Which step of the precedence chose {@link #template()}: one of the {@code FROM_*} constants, or empty for none. */
    String templateOrigin();

    /**
     * Renders and tokenizes {@code conversation}.
     *
     * @throws IllegalArgumentException when there is no template (naming {@code --template}), the template refuses the
     *         conversation, or a media part meets a text-only model, naming the message at fault
     */
    EncodedPrompt encode(Conversation conversation, RenderOptions options);

    /** For training: the assistant turns of {@code lossScope} ({@link RenderOptions#ALL_ASSISTANT}, ...) labelled. */
    default EncodedPrompt forTraining(Conversation conversation, String lossScope) {
        return encode(conversation, new RenderOptions(false, lossScope, Map.of()));
    }

    /** For inference: the prompt ids, ending with the assistant's header. */
    default int[] forGeneration(Conversation conversation, Map<String, Object> templateArgs) {
        return encode(conversation, new RenderOptions(true, RenderOptions.ALL_ASSISTANT, templateArgs))
                .inputIds();
    }

    /**
     * A plain text prompt (completions, pre-training) as the tokenizer encodes it by default: the BOS token
     * first when tokenizer_config.json's {@code add_bos_token} asks for it, no template.
     */
    int[] encodeText(String text);
}
