package dev.osprey.api.chat;

import java.util.Map;

/**
 * How to render a conversation.
 *
 * @param addGenerationPrompt end with the assistant's header so the model answers next (inference)
 * @param lossScope which assistant turns are trainable: {@link #LAST_ROUND}, {@link #ALL_ASSISTANT} or {@link #ALL}
 * @param templateArgs extra variables for the template, e.g. {@code enable_thinking=false}
 */
public record RenderOptions(boolean addGenerationPrompt, String lossScope, Map<String, Object> templateArgs) {

    public static final String LAST_ROUND = "last_round";
    public static final String ALL_ASSISTANT = "all_assistant";
    public static final String ALL = "all";

    public RenderOptions {
        lossScope = lossScope == null ? ALL_ASSISTANT : lossScope;
        templateArgs = Map.copyOf(templateArgs);
    }

    /** For training: every assistant turn trainable, no generation prompt. */
    public static RenderOptions training() {
        return new RenderOptions(false, ALL_ASSISTANT, Map.of());
    }

    /** For inference: nothing trainable, ends with the assistant's header. */
    public static RenderOptions inference() {
        return new RenderOptions(true, ALL_ASSISTANT, Map.of());
    }
}
