package dev.osprey.openai.impl;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.api.chat.ToolSpec;
import dev.osprey.api.inference.GenerationRequest;
import dev.osprey.api.inference.SamplingParams;

/**
 * A {@code /v1/chat/completions} or {@code /v1/completions} body, read and checked: the prompts, how
 * many choices each, the sampling parameters and how to answer.
 *
 * @param chat a chat completion (else a text completion)
 * @param model the requested model name; null when the body names none
 * @param prompts one conversation for chat; one or more prompts (text or token ids) for completions
 * @param n choices per prompt
 * @param stream answer with server-sent events
 * @param includeUsage {@code stream_options.include_usage}
 * @param echo completions only: put the prompt before the completion text
 * @param sampling what every choice samples with (choice {@code i} with {@link SamplingParams#forChoice})
 * @param chatOptions chat only: tools, thinking and template arguments; null for text completions
 */
record CompletionRequest(
        boolean chat,
        String model,
        List<Prompt> prompts,
        int n,
        boolean stream,
        boolean includeUsage,
        boolean echo,
        SamplingParams sampling,
        ChatOptions chatOptions) {

    /** One prompt: exactly one of the three is set. */
    record Prompt(Conversation conversation, String text, List<Integer> tokenIds) {}

    /** {@code tool_choice} {@code none}: the tools stay out of the prompt and nothing is read as a call. */
    static final String NONE = "none";
    /** {@code tool_choice} {@code auto}: the model decides; calls are read back. */
    static final String AUTO = "auto";
    /** {@code tool_choice} {@code required}: the answer opens with a call (the template's call opening is prefilled). */
    static final String REQUIRED = "required";
    /** {@code tool_choice} naming a function: the answer opens with a call of it, prefilled up to its arguments. */
    static final String FUNCTION = "function";

    /**
     * What a chat request asks beyond sampling.
     *
     * @param toolChoice {@link #NONE}, {@link #AUTO}, {@link #REQUIRED} or {@link #FUNCTION}
     * @param function the function {@code tool_choice} names, for {@link #FUNCTION}; else null
     * @param parallelToolCalls {@code parallel_tool_calls}: false keeps the first call only
     * @param templateArgs {@code chat_template_kwargs}
     * @param thinkingBudget {@code thinking_budget} (or {@code max_thinking_tokens}); -1 for none
     */
    record ChatOptions(
            String toolChoice,
            String function,
            boolean parallelToolCalls,
            Map<String, Object> templateArgs,
            int thinkingBudget) {}

    /**
     * The generation of choice {@code choice} of prompt {@code prompt}.
     *
     * @param answerPrefix the text the answer starts with (a forced tool call's opening); empty for none
     * @param extraStops stop strings of the chat template beyond the request's (ReAct's {@code Observation:})
     */
    GenerationRequest generation(
            String requestId,
            String servedModel,
            int prompt,
            int choice,
            String answerPrefix,
            Collection<String> extraStops) {
        Prompt p = prompts.get(prompt);
        SamplingParams s = sampling.forChoice(choice); // distinct choices from one seeded request, still reproducible
        String id = requestId + "-" + prompt + "-" + choice;
        if (chatOptions == null) {
            return new GenerationRequest(id, servedModel, p.conversation(), p.text(), p.tokenIds(), s);
        }
        if (!extraStops.isEmpty()) {
            List<String> stops = new ArrayList<>(s.stop());
            extraStops.stream().filter(x -> !stops.contains(x)).forEach(stops::add);
            s = new SamplingParams(
                    s.maxTokens(),
                    s.temperature(),
                    s.topP(),
                    s.topK(),
                    s.minP(),
                    s.repetitionPenalty(),
                    s.presencePenalty(),
                    s.frequencyPenalty(),
                    s.seed(),
                    stops,
                    s.stopTokenIds(),
                    s.logprobs(),
                    s.topLogprobs());
        }
        return new GenerationRequest(
                id,
                servedModel,
                p.conversation(),
                null,
                null,
                s,
                chatOptions.templateArgs(),
                answerPrefix,
                chatOptions.thinkingBudget());
    }

    /** The sequences the request generates: prompts x n. */
    long sequences() {
        return (long) prompts.size() * n;
    }

    /**
     * What the request may make the backend hold, for {@code max_queued_tokens}: per sequence its prompt
     * (token ids, else characters, which bound the tokens of the usual tokenizers) plus max_tokens, at
     * most the context length.
     *
     * @param contextLength the model's context length; 0 when unknown
     */
    long tokenBudget(int contextLength) {
        long total = 0;
        for (Prompt p : prompts) {
            long prompt = p.tokenIds() != null
                    ? p.tokenIds().size()
                    : p.text() != null
                            ? p.text().length()
                            : p.conversation().messages().stream()
                                    .mapToLong(m -> m.text().length())
                                    .sum();
            long completion = sampling.maxTokens() > 0 ? sampling.maxTokens() : contextLength;
            long perSequence = contextLength > 0 ? Math.min(prompt + completion, contextLength) : prompt + completion;
            total += perSequence * n;
        }
        return total;
    }

    static CompletionRequest readChat(ObjectNode body) {
        Fields f = new Fields(body);
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiException.badRequest("'messages' must be a non-empty list of messages", "messages");
        }
        List<ChatMessage> list = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            list.add(message(messages.get(i), "messages[" + i + "]"));
        }
        List<ToolSpec> tools = tools(body.get("tools"));
        ChatOptions options = chatOptions(f, tools);
        Conversation conversation = new Conversation(list, NONE.equals(options.toolChoice()) ? List.of() : tools);
        boolean logprobs = f.bool("logprobs", false);
        int top = f.integer("top_logprobs", 0, 0, 20);
        if (top > 0 && !logprobs) {
            throw ApiException.badRequest("'top_logprobs' needs 'logprobs': true", "top_logprobs");
        }
        Integer maxTokens = f.integer("max_completion_tokens", null, 1, Integer.MAX_VALUE);
        if (maxTokens == null) {
            maxTokens = f.integer("max_tokens", null, 1, Integer.MAX_VALUE);
        }
        return new CompletionRequest(
                true,
                f.string("model", null),
                List.of(new Prompt(conversation, null, null)),
                f.integer("n", 1, 1, 128),
                f.bool("stream", false),
                includeUsage(f),
                false,
                sampling(f, maxTokens, logprobs, top),
                options);
    }

    /** tool_choice (checked against the tools), parallel_tool_calls, chat_template_kwargs and the thinking budget. */
    private static ChatOptions chatOptions(Fields f, List<ToolSpec> tools) {
        JsonNode choice = f.body().get("tool_choice");
        String mode;
        String function = null;
        if (choice == null || choice.isNull()) {
            mode = tools.isEmpty() ? NONE : AUTO;
        } else if (choice.isTextual()) {
            mode = choice.asText();
            if (!List.of(NONE, AUTO, REQUIRED).contains(mode)) {
                throw ApiException.badRequest(
                        "Invalid value for 'tool_choice': '" + mode + "'; expected 'none', 'auto', 'required' or"
                                + " {\"type\": \"function\", \"function\": {\"name\": ...}}",
                        "tool_choice");
            }
        } else if (choice.isObject()
                && "function".equals(choice.path("type").asText())
                && choice.path("function").path("name").isTextual()) {
            mode = FUNCTION;
            function = choice.path("function").path("name").asText();
        } else {
            throw ApiException.badRequest(
                    "Invalid value for 'tool_choice': " + choice + "; expected 'none', 'auto', 'required' or"
                            + " {\"type\": \"function\", \"function\": {\"name\": ...}}",
                    "tool_choice");
        }
        if (!NONE.equals(mode) && tools.isEmpty()) {
            throw ApiException.badRequest(
                    "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                    "tool_choice");
        }
        if (function != null) {
            String name = function;
            if (tools.stream().noneMatch(t -> t.name().equals(name))) {
                throw ApiException.badRequest(
                        "Invalid value for 'tool_choice': function '" + name + "' is not among 'tools' ("
                                + String.join(
                                        ", ", tools.stream().map(ToolSpec::name).toList()) + ")",
                        "tool_choice");
            }
        }
        Map<String, Object> templateArgs = new LinkedHashMap<>();
        JsonNode kwargs = f.body().get("chat_template_kwargs");
        if (kwargs != null && !kwargs.isNull()) {
            if (!kwargs.isObject()) {
                throw ApiException.badRequest("'chat_template_kwargs' must be an object", "chat_template_kwargs");
            }
            kwargs.fields().forEachRemaining(e -> templateArgs.put(e.getKey(), Json.plain(e.getValue())));
        }
        Integer budget = f.integer("thinking_budget", null, 0, Integer.MAX_VALUE);
        if (budget == null) {
            budget = f.integer("max_thinking_tokens", null, 0, Integer.MAX_VALUE);
        }
        return new ChatOptions(
                mode, function, f.bool("parallel_tool_calls", true), templateArgs, budget == null ? -1 : budget);
    }

    static CompletionRequest readText(ObjectNode body) {
        Fields f = new Fields(body);
        JsonNode prompt = body.get("prompt");
        List<Prompt> prompts = new ArrayList<>();
        if (prompt == null || prompt.isNull()) {
            throw ApiException.badRequest("'prompt' is required: a string, a list of strings, or token ids", "prompt");
        } else if (prompt.isTextual()) {
            prompts.add(new Prompt(null, prompt.asText(), null));
        } else if (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isIntegralNumber()) {
            prompts.add(new Prompt(null, null, ids(prompt, "prompt")));
        } else if (prompt.isArray() && !prompt.isEmpty()) {
            for (int i = 0; i < prompt.size(); i++) {
                JsonNode p = prompt.get(i);
                if (p.isTextual()) {
                    prompts.add(new Prompt(null, p.asText(), null));
                } else if (p.isArray()) {
                    prompts.add(new Prompt(null, null, ids(p, "prompt[" + i + "]")));
                } else {
                    throw ApiException.badRequest(
                            "'prompt[" + i + "]' must be a string or a list of token ids, was " + p, "prompt");
                }
            }
        } else {
            throw ApiException.badRequest(
                    "'prompt' must be a string, a list of strings, or token ids, was " + prompt, "prompt");
        }
        for (Prompt p : prompts) {
            if ((p.text() != null && p.text().isEmpty())
                    || (p.tokenIds() != null && p.tokenIds().isEmpty())) {
                throw ApiException.badRequest("'prompt' must not be empty", "prompt");
            }
        }
        // completions: logprobs is the number of alternatives (0 = the chosen tokens only)
        Integer top = f.integer("logprobs", null, 0, 20);
        Integer maxTokens = f.integer("max_tokens", 16, 1, Integer.MAX_VALUE);
        return new CompletionRequest(
                false,
                f.string("model", null),
                prompts,
                f.integer("n", 1, 1, 128),
                f.bool("stream", false),
                includeUsage(f),
                f.bool("echo", false),
                sampling(f, maxTokens, top != null, top == null ? 0 : top),
                null);
    }

    private static boolean includeUsage(Fields f) {
        JsonNode options = f.body().get("stream_options");
        if (options == null || options.isNull()) {
            return false;
        }
        if (!options.isObject()) {
            throw ApiException.badRequest("'stream_options' must be an object", "stream_options");
        }
        return new Fields((ObjectNode) options).bool("include_usage", false);
    }

    private static SamplingParams sampling(Fields f, Integer maxTokens, boolean logprobs, int topLogprobs) {
        double temperature = f.number("temperature", 1.0, 0, Double.MAX_VALUE);
        double topP = f.number("top_p", 1.0, Double.MIN_VALUE, 1);
        int topK = f.integer("top_k", -1, -1, Integer.MAX_VALUE);
        if (topK == 0) {
            topK = -1; // vLLM reads 0 as off too
        }
        double minP = f.number("min_p", 0, 0, 1);
        double repetition = f.number("repetition_penalty", 1.0, Double.MIN_VALUE, Double.MAX_VALUE);
        double presence = f.number("presence_penalty", 0, -2, 2);
        double frequency = f.number("frequency_penalty", 0, -2, 2);
        long seed = f.longValue("seed", -1L);
        List<String> stop = f.strings("stop");
        if (stop.stream().anyMatch(String::isEmpty)) {
            throw ApiException.badRequest("'stop' strings must not be empty", "stop");
        }
        return new SamplingParams(
                maxTokens == null ? -1 : maxTokens,
                temperature,
                topP,
                topK,
                minP,
                repetition,
                presence,
                frequency,
                seed,
                stop,
                f.integers("stop_token_ids", 0, Integer.MAX_VALUE),
                logprobs,
                topLogprobs);
    }

    private static List<Integer> ids(JsonNode array, String param) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode id = array.get(i);
            if (!id.isIntegralNumber()) {
                throw ApiException.badRequest("'" + param + "' must hold token ids (integers); found " + id, "prompt");
            }
            out.add((int) Fields.whole(id, param + "[" + i + "]", 0, Integer.MAX_VALUE));
        }
        return out;
    }

    private static ChatMessage message(JsonNode m, String where) {
        if (m == null || !m.isObject()) {
            throw ApiException.badRequest("'" + where + "' must be an object with 'role' and 'content'", "messages");
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual()) {
            throw ApiException.badRequest(
                    "'" + where + ".role' is required (system, user, assistant or tool)", "messages");
        }
        String r = role.asText();
        if (!List.of("system", "developer", "user", "assistant", "tool").contains(r)) {
            throw ApiException.badRequest(
                    "'" + where + ".role' must be system, developer, user, assistant or tool, was '" + r + "'",
                    "messages");
        }
        List<ContentPart> parts = new ArrayList<>();
        JsonNode content = m.get("content");
        if (content == null || content.isNull()) {
            // an assistant message with tool calls only
        } else if (content.isTextual()) {
            parts.add(ContentPart.text(content.asText()));
        } else if (content.isArray()) {
            for (int i = 0; i < content.size(); i++) {
                parts.add(part(content.get(i), where + ".content[" + i + "]"));
            }
        } else {
            throw ApiException.badRequest(
                    "'" + where + ".content' must be a string or a list of content parts", "messages");
        }
        List<ToolCall> calls = new ArrayList<>();
        JsonNode toolCalls = m.get("tool_calls");
        if (toolCalls != null && toolCalls.isArray()) {
            for (JsonNode c : toolCalls) {
                JsonNode fn = c.path("function");
                JsonNode args = fn.get("arguments");
                calls.add(new ToolCall(
                        c.path("id").asText(""),
                        fn.path("name").asText(""),
                        args == null ? "{}" : args.isTextual() ? args.asText() : Json.write(args)));
            }
        }
        String reasoning = m.path("reasoning_content").asText("");
        return new ChatMessage(
                "developer".equals(r) ? "system" : r,
                parts,
                calls,
                m.path("tool_call_id").asText(""),
                reasoning);
    }

    private static ContentPart part(JsonNode p, String where) {
        String type = p.path("type").asText("");
        return switch (type) {
            case "text" -> ContentPart.text(p.path("text").asText(""));
            case "image_url" ->
                ContentPart.image(p.path("image_url").path("url").asText(""));
            case "video_url" ->
                new ContentPart(
                        ContentPart.VIDEO, p.path("video_url").path("url").asText(""));
            case "input_audio", "audio_url" ->
                new ContentPart(
                        ContentPart.AUDIO,
                        p.path("audio_url")
                                .path("url")
                                .asText(p.path("input_audio").path("data").asText("")));
            default ->
                throw ApiException.badRequest(
                        "'" + where + ".type' must be text, image_url, video_url or audio_url, was '" + type + "'",
                        "messages");
        };
    }

    private static List<ToolSpec> tools(JsonNode tools) {
        List<ToolSpec> out = new ArrayList<>();
        if (tools == null || tools.isNull()) {
            return out;
        }
        if (!tools.isArray()) {
            throw ApiException.badRequest("'tools' must be a list", "tools");
        }
        for (JsonNode t : tools) {
            JsonNode fn = t.path("function");
            if (!fn.path("name").isTextual()) {
                throw ApiException.badRequest("every tool needs 'function.name'", "tools");
            }
            out.add(new ToolSpec(
                    fn.path("name").asText(),
                    fn.path("description").asText(""),
                    fn.has("parameters") ? Json.write(fn.get("parameters")) : "{}"));
        }
        return out;
    }
}
