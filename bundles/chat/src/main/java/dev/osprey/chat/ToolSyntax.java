package dev.osprey.chat;

import java.util.List;

import dev.osprey.api.chat.ToolCall;

/**
 * How a template's model writes tool calls in its completion, for reading them back (a server's
 * {@code tool_calls}) and for forcing one ({@code tool_choice}).
 */
public interface ToolSyntax {

    /** The text every call begins with ({@code <tool_call>}, {@code Action:}); what precedes it is content. */
    String callStart();

    /**
     * The text that opens a call of {@code function} up to where its arguments begin; with {@code function} null,
     * up to where the name begins.
     */
    String opening(String function);

    /** Where the first call begins in {@code text}, or -1: by default where {@link #callStart()} first occurs. */
    default int firstCall(String text) {
        return text.indexOf(callStart());
    }

    /**
     * How much of a completion still being written is content for certain, however it goes on: by default all but a
     * trailing part of {@link #callStart()}.
     */
    default int certainContent(String text) {
        return text.length() - CompletionSplitter.partialSuffix(text, callStart());
    }

    /**
     * The calls in {@code text}, which begins where the first call begins ({@link #callStart()}). While generating
     * ({@code finished} false) only the calls that are closed; when finished, also a last call the completion ended
     * in. Arguments are JSON object texts; ids are left empty.
     */
    List<ToolCall> parse(String text, boolean finished);
}
