package dev.osprey.chat.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.Segment;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.chat.JinjaChatTemplate;

/**
 * What the built-in templates share: a segment writer that merges neighbouring text of the same
 * trainability, the loss scopes, and role checks that name the message at fault.
 */
public abstract class BuiltinTemplate implements ChatTemplate {

    /** Segments in the making. */
    protected static final class Out {
        private final List<Segment> segments = new ArrayList<>();
        private final StringBuilder pending = new StringBuilder();
        private boolean pendingTrainable;
        private final boolean everything;

        Out(RenderOptions options) {
            this.everything = RenderOptions.ALL.equals(options.lossScope());
        }

        /** Text the model reads only (trainable all the same under loss scope {@code all}). */
        public Out prompt(String text) {
            return add(text, false);
        }

        public Out add(String text, boolean trainable) {
            boolean t = trainable || everything;
            if (text.isEmpty()) {
                return this;
            }
            if (pending.length() > 0 && t != pendingTrainable) {
                flush();
            }
            pending.append(text);
            pendingTrainable = t;
            return this;
        }

        /** The non-text parts of a message, as media segments ahead of its text. */
        public Out media(ChatMessage message) {
            for (ContentPart p : message.content()) {
                if (!p.isText()) {
                    flush();
                    segments.add(Segment.media(p));
                }
            }
            return this;
        }

        private void flush() {
            if (pending.length() > 0) {
                segments.add(Segment.text(pending.toString(), pendingTrainable));
                pending.setLength(0);
            }
        }

        public List<Segment> build() {
            flush();
            return List.copyOf(segments);
        }
    }

    protected static Out out(RenderOptions options) {
        return new Out(options);
    }

    /** Whether assistant message {@code index} is trained on under {@code options}' loss scope. */
    protected static boolean trains(RenderOptions options, List<ChatMessage> messages, int index) {
        return switch (options.lossScope()) {
            case RenderOptions.LAST_ROUND -> index == lastIndexOf(messages, "assistant");
            case RenderOptions.ALL_ASSISTANT, RenderOptions.ALL -> true;
            default ->
                throw new IllegalArgumentException(
                        "unknown loss scope '" + options.lossScope() + "' (last_round, all_assistant or all)");
        };
    }

    protected static int lastIndexOf(List<ChatMessage> messages, String role) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (role.equals(messages.get(i).role())) {
                return i;
            }
        }
        return -1;
    }

    /**
     * One user or assistant turn of a conversation that may start with a system message.
     *
     * @param index the message's index in the conversation
     * @param message the message
     * @param firstUser true for the first user turn, the one a folded system message joins
     */
    protected record Turn(int index, ChatMessage message, boolean firstUser) {
        boolean user() {
            return "user".equals(message.role());
        }
    }

    /** The text of a leading system message, or null. */
    protected static String leadingSystem(List<ChatMessage> ms) {
        return !ms.isEmpty() && "system".equals(ms.get(0).role()) ? ms.get(0).text() : null;
    }

    /**
     * The turns after an optional leading system message, checked to be user and assistant only and to
     * alternate starting with the user, as the Llama 2, Mistral and Gemma templates require.
     */
    protected List<Turn> alternatingTurns(List<ChatMessage> ms) {
        int start = leadingSystem(ms) == null ? 0 : 1;
        List<Turn> turns = new ArrayList<>();
        for (int i = start; i < ms.size(); i++) {
            ChatMessage m = ms.get(i);
            int j = i - start;
            if (!"user".equals(m.role()) && !"assistant".equals(m.role())) {
                throw unsupportedRole(i, m, "an optional first system message, then user and assistant");
            }
            if ("user".equals(m.role()) != (j % 2 == 0)) {
                throw notAlternating(i);
            }
            turns.add(new Turn(i, m, j == 0));
        }
        return turns;
    }

    protected IllegalArgumentException unsupportedRole(int index, ChatMessage m, String supported) {
        return new IllegalArgumentException("message " + index + ": role '" + m.role() + "' is not supported by the "
                + name() + " template (" + supported + ")");
    }

    protected IllegalArgumentException notAlternating(int index) {
        return new IllegalArgumentException("message " + index + ": the " + name() + " template needs the roles to "
                + "alternate user/assistant/user/assistant/... after an optional system message");
    }

    protected static boolean hasText(ChatMessage m) {
        return !m.text().isEmpty();
    }

    /** Jinja's {@code trim} filter: Python's {@code str.strip()}. */
    protected static String trim(String s) {
        return PythonMethods.pyStrip(s, null, true, true);
    }

    protected static String strip(String s, String chars) {
        return PythonMethods.pyStrip(s, chars, true, true);
    }

    protected static String lstrip(String s, String chars) {
        return PythonMethods.pyStrip(s, chars, true, false);
    }

    protected static String rstrip(String s, String chars) {
        return PythonMethods.pyStrip(s, chars, false, true);
    }

    /** A tool call's arguments as Python's json.dumps writes the parsed object. */
    protected static String argumentsJson(ToolCall call) {
        return PyJson.dumps(JinjaChatTemplate.parseJson(call.argumentsJson(), "arguments of tool call " + call.name()));
    }

    protected static Object templateArg(RenderOptions options, String key, Object fallback) {
        Object v = options.templateArgs().get(key);
        return v == null ? fallback : v;
    }

    protected abstract Set<String> stops();

    @Override
    public Set<String> stopStrings() {
        return stops();
    }
}
