package dev.osprey.openai.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.ParsedCompletion;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.ToolCall;

/**
 * Reads chat completions back through the chat template the backend rendered them with: the thinking as
 * {@code reasoning_content}, the tool calls as {@code tool_calls} (with {@code call_...} ids), the rest as
 * {@code content}; and makes {@code tool_choice} {@code required} or a named function hold by prefilling the
 * template's call opening after the generation prompt (no constrained decoding: the model writes the arguments).
 * One per request; a {@link Choice} per choice keeps what a stream has sent.
 */
final class ChatReader {

    private final ChatTemplate template;
    private final CompletionRequest.ChatOptions options;
    private final RenderOptions renderOptions;
    private final String prefix;

    /**
     * @throws ApiException when {@code tool_choice} asks for a call that the template has no syntax to force
     */
    ChatReader(ChatTemplate template, CompletionRequest.ChatOptions options) {
        this.template = template;
        this.options = options;
        this.renderOptions = new RenderOptions(true, RenderOptions.ALL_ASSISTANT, options.templateArgs());
        String prefix = switch (options.toolChoice()) {
            case CompletionRequest.REQUIRED -> template.toolCallOpening(null);
            case CompletionRequest.FUNCTION -> template.toolCallOpening(options.function());
            default -> "";
        };
        boolean forced = CompletionRequest.REQUIRED.equals(options.toolChoice())
                || CompletionRequest.FUNCTION.equals(options.toolChoice());
        if (forced
                && !prefix.isEmpty()
                && !template.parseCompletion("", false, renderOptions).reasoningEnded()) {
            // the generation prompt opened the thinking (DeepSeek-R1): a forced call comes after it is closed
            prefix = "\n" + template.thinkingEnd() + "\n\n" + prefix;
        }
        if (forced && prefix.isEmpty()) {
            throw ApiException.badRequest(
                    "tool_choice " + (options.function() == null ? "'required'" : "naming a function")
                            + " needs a chat template with a tool-call syntax to force the call; the template '"
                            + template.name() + "' has none (serve with --agent_template, e.g. hermes)",
                    "tool_choice");
        }
        this.prefix = prefix;
    }

    /** The text the answer is made to start with; empty for none. */
    String answerPrefix() {
        return prefix;
    }

    /** Stop strings of the template's tool format (ReAct's {@code Observation:}) when tools are offered. */
    Set<String> stops() {
        return CompletionRequest.NONE.equals(options.toolChoice()) ? Set.of() : template.stopStrings();
    }

    Choice choice() {
        return new Choice();
    }

    /** A call as sent: its id and place. */
    record SentCall(int index, String id, ToolCall call) {}

    /** The parts of one choice, and what a stream has sent of them. */
    final class Choice {
        private ParsedCompletion sent = ParsedCompletion.text("");
        private final List<SentCall> calls = new ArrayList<>();

        /** The completion's parts; {@code finished} for the whole completion. */
        ParsedCompletion read(String completion, boolean finished) {
            String text = prefix + completion;
            ParsedCompletion p = template.parseCompletion(text, finished, renderOptions);
            if (CompletionRequest.NONE.equals(options.toolChoice())
                    && !p.toolCalls().isEmpty()) {
                // no tools were offered: a call-like text is content
                return new ParsedCompletion(
                        p.reasoning(), finished ? stripThinking(text, p) : p.content(), List.of(), p.reasoningEnded());
            }
            List<ToolCall> calls = p.toolCalls();
            if (finished && calls.isEmpty() && CompletionRequest.FUNCTION.equals(options.toolChoice())) {
                // the prefilled call did not close as the syntax closes it: the arguments are what the model wrote
                calls = List.of(new ToolCall("", options.function(), leadingJson(completion)));
                return new ParsedCompletion(p.reasoning(), "", calls, p.reasoningEnded());
            }
            if (!options.parallelToolCalls() && calls.size() > 1) {
                calls = calls.subList(0, 1);
            }
            return new ParsedCompletion(p.reasoning(), p.content(), calls, p.reasoningEnded());
        }

        /** The calls with ids; the ids of those a stream sent already are kept. */
        List<SentCall> withIds(List<ToolCall> parsed) {
            for (int i = calls.size(); i < parsed.size(); i++) {
                calls.add(new SentCall(i, "call_" + UUID.randomUUID().toString().replace("-", ""), parsed.get(i)));
            }
            return List.copyOf(calls.subList(0, parsed.size()));
        }

        /**
         * What a stream sends next: the new thinking, content and calls since the last call, as one delta, or null
         * when nothing is new.
         */
        Delta next(String completionSoFar, boolean finished) {
            ParsedCompletion now = read(completionSoFar, finished);
            String reasoning = extension(sent.reasoning(), now.reasoning());
            String content = extension(sent.content(), now.content());
            int before = calls.size();
            List<SentCall> all = withIds(now.toolCalls());
            List<SentCall> fresh = all.subList(Math.min(before, all.size()), all.size());
            sent = new ParsedCompletion(
                    sent.reasoning() + reasoning, sent.content() + content, now.toolCalls(), now.reasoningEnded());
            if (reasoning.isEmpty() && content.isEmpty() && fresh.isEmpty()) {
                return null;
            }
            return new Delta(reasoning, content, List.copyOf(fresh));
        }

        boolean hasCalls() {
            return !calls.isEmpty();
        }
    }

    /** New stream text: thinking, content and calls (each empty when nothing is new). */
    record Delta(String reasoning, String content, List<SentCall> calls) {}

    /** What {@code now} adds to {@code before}; nothing when it does not extend it (the parser changed its mind). */
    private static String extension(String before, String now) {
        return now.startsWith(before) ? now.substring(before.length()) : "";
    }

    /** The text after the thinking, for a completion read without tools. */
    private String stripThinking(String text, ParsedCompletion p) {
        String end = template.thinkingEnd();
        int at = end.isEmpty() ? -1 : text.indexOf(end);
        return p.reasoning().isEmpty() || at < 0
                ? text
                : text.substring(at + end.length()).stripLeading();
    }

    /** The JSON value a text starts with, as compact JSON; the text itself (stripped) when it starts with none. */
    static String leadingJson(String text) {
        try (JsonParser p = Json.MAPPER.getFactory().createParser(text)) {
            JsonNode node = p.readValueAsTree();
            if (node != null && node.isObject()) {
                return Json.write(node);
            }
        } catch (Exception e) {
            // not JSON: the raw text
        }
        return text.strip();
    }
}
