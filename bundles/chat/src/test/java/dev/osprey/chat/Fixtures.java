package dev.osprey.chat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.api.chat.ToolSpec;

/** The real templates, the conversations and the jinja2 renderings under src/test/resources/chat. */
final class Fixtures {

    static final ObjectMapper JSON = new ObjectMapper();
    static final JsonNode CONVERSATIONS = json("chat/conversations.json");
    static final JsonNode GOLDEN = json("chat/golden.json");

    private Fixtures() {}

    static String resource(String path) {
        try (InputStream in = Fixtures.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(String path) {
        try {
            return JSON.readTree(resource(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A template file less its first line, the {# source #} comment. */
    static String templateSource(String family) {
        String text = resource("chat/templates/" + family + ".jinja");
        return text.substring(text.indexOf('\n') + 1);
    }

    static Map<String, Object> tokens(String family) {
        Map<String, Object> out = new LinkedHashMap<>();
        GOLDEN.get("tokens").get(family).fields().forEachRemaining(e -> {
            if (!e.getValue().isNull()) {
                out.put(e.getKey(), e.getValue().asText());
            }
        });
        return out;
    }

    static JinjaChatTemplate reference(String family) {
        return JinjaChatTemplate.of(family, templateSource(family), tokens(family));
    }

    static Conversation conversation(String name) {
        JsonNode c = CONVERSATIONS.get(name);
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : c.get("messages")) {
            List<ToolCall> calls = new ArrayList<>();
            if (m.has("tool_calls")) {
                for (JsonNode call : m.get("tool_calls")) {
                    calls.add(new ToolCall(
                            call.get("id").asText(),
                            call.get("name").asText(),
                            call.get("arguments").toString()));
                }
            }
            messages.add(new ChatMessage(
                    m.get("role").asText(),
                    List.of(ContentPart.text(m.get("content").asText())),
                    calls,
                    m.path("tool_call_id").asText(""),
                    m.path("reasoning").asText("")));
        }
        List<ToolSpec> tools = new ArrayList<>();
        if (c.has("tools")) {
            for (JsonNode t : c.get("tools")) {
                tools.add(new ToolSpec(
                        t.get("name").asText(),
                        t.get("description").asText(),
                        t.get("parameters").toString()));
            }
        }
        return new Conversation(messages, tools);
    }

    static boolean addGenerationPrompt(String name) {
        return CONVERSATIONS.get(name).path("add_generation_prompt").asBoolean(false);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> kwargs(String name) {
        JsonNode k = CONVERSATIONS.get(name).get("kwargs");
        return k == null ? Map.of() : JSON.convertValue(k, Map.class);
    }

    /** family → case → {text} or {error}. */
    static JsonNode golden(String family) {
        return GOLDEN.get("golden").get(family);
    }
}
