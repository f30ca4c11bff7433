package dev.osprey.api.inference;

import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.osprey.api.chat.Conversation;

/**
 * One completion to generate. Exactly one of {@code conversation}, {@code prompt} and
 * {@code promptTokenIds} is set: a chat request, a text completion, or token ids.
 *
 * @param requestId unique per request, for logs and cancellation
 * @param model the served model name or adapter name, as in OpenAI's {@code model} field
 * @param conversation the chat, or null
 * @param prompt the prompt text, or null
 * @param promptTokenIds the prompt ids, or null
 * @param sampling how to pick tokens
 * @param templateArgs for a conversation: extra variables for the chat template ({@code chat_template_kwargs},
 *        e.g. {@code enable_thinking=false}); empty for none
 * @param assistantPrefix for a conversation: text the answer starts with, written after the generation prompt
 *        (the opening of a tool call that {@code tool_choice} forces); the completion continues it and does not
 *        repeat it. Empty for none
 * @param thinkingBudget for a conversation with a template that thinks: at most this many completion tokens of
 *        thinking, after which the template's end-of-thinking marker is written and the answer follows; -1 for no limit
 */
public record GenerationRequest(
        String requestId,
        String model,
        Conversation conversation,
        String prompt,
        List<Integer> promptTokenIds,
        SamplingParams sampling,
        Map<String, Object> templateArgs,
        String assistantPrefix,
        int thinkingBudget) {

    public GenerationRequest {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(sampling, "sampling");
        int set = (conversation != null ? 1 : 0) + (prompt != null ? 1 : 0) + (promptTokenIds != null ? 1 : 0);
        if (set != 1) {
            throw new IllegalArgumentException("exactly one of conversation, prompt and promptTokenIds must be set");
        }
        promptTokenIds = promptTokenIds == null ? null : List.copyOf(promptTokenIds);
        templateArgs = templateArgs == null ? Map.of() : Map.copyOf(templateArgs);
        assistantPrefix = assistantPrefix == null ? "" : assistantPrefix;
        if (conversation == null && (!templateArgs.isEmpty() || !assistantPrefix.isEmpty() || thinkingBudget >= 0)) {
            throw new IllegalArgumentException(
                    "templateArgs, assistantPrefix and thinkingBudget apply to a conversation only");
        }
    }

    /** A request without template arguments, answer prefix or thinking budget. */
    public GenerationRequest(
            String requestId,
            String model,
            Conversation conversation,
            String prompt,
            List<Integer> promptTokenIds,
            SamplingParams sampling) {
        this(requestId, model, conversation, prompt, promptTokenIds, sampling, Map.of(), "", -1);
    }
}
