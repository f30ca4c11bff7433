package dev.osprey.chat.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.api.chat.ToolCall;
import dev.osprey.api.chat.ToolSpec;
import dev.osprey.chat.JinjaChatTemplate;
import dev.osprey.chat.ToolSyntax;
import dev.osprey.chat.impl.PyJson;

/**
 * An ms-swift agent template ({@code --agent_template}): how the tools, the assistant's tool calls and the tool
 * results are written into plain conversation turns, which the model's chat template then renders, and how calls
 * are read back from a completion. Stateless.
 */
public abstract class AgentFormat implements ToolSyntax {

    static final ObjectMapper JSON = new ObjectMapper();

    /** The {@code --agent_template} name. */
    public abstract String name();

    /** The system message that describes the tools, from the conversation's own system text (empty for none). */
    public abstract String system(String system, List<ToolSpec> tools);

    /** The assistant text of its calls. */
    public abstract String calls(List<ToolCall> calls);

    /** The text of a user turn holding consecutive tool results. */
    public abstract String results(List<String> results);

    /** True when the tools go into the first user message instead of the system message (Llama 3). */
    public boolean toolsInUser() {
        return false;
    }

    /** The first user message with the tools, for {@link #toolsInUser()}. */
    public String user(String user, List<ToolSpec> tools) {
        return user;
    }

    /** Strings that end a turn of this format (ReAct's {@code Observation:}). */
    public Set<String> stops() {
        return Set.of();
    }

    /** The tools as OpenAI writes them: {@code {"type": "function", "function": {...}}}. */
    static List<Map<String, Object>> wrapped(List<ToolSpec> tools) {
        return JinjaChatTemplate.toHfTools(tools);
    }

    /** The function part of each tool: {@code {"name", "description", "parameters"}}. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> functions(List<ToolSpec> tools) {
        return wrapped(tools).stream()
                .map(t -> (Map<String, Object>) t.get("function"))
                .toList();
    }

    /**
     * A call's arguments as Python's json.dumps writes them; arguments that are not JSON (a model's malformed call
     * sent back by a client) as they are, as Qwen's templates write string arguments.
     */
    static String arguments(ToolCall call) {
        Parsed p = call.argumentsJson().isBlank()
                ? null
                : readJson(call.argumentsJson().strip(), 0);
        if (p == null || p.end() != call.argumentsJson().strip().length()) {
            return call.argumentsJson().isBlank() ? "{}" : call.argumentsJson();
        }
        return PyJson.dumps(JinjaChatTemplate.parseJson(call.argumentsJson(), "arguments of tool call " + call.name()));
    }

    /** The JSON value that starts at {@code from}, and where it ends; null when it is not complete JSON there. */
    static Parsed readJson(String text, int from) {
        try (JsonParser p = new JsonFactory(JSON).createParser(text.substring(from))) {
            if (p.nextToken() == null) {
                return null;
            }
            JsonNode node = p.readValueAsTree();
            return node == null
                    ? null
                    : new Parsed(node, from + (int) p.currentLocation().getCharOffset());
        } catch (Exception e) {
            return null;
        }
    }

    /** A JSON value and the index after it. */
    record Parsed(JsonNode node, int end) {}

    /** A call from a JSON object {@code {"name": ..., "arguments"/"parameters": {...}}}; null when it is not one. */
    static ToolCall callFromObject(JsonNode node) {
        if (node == null || !node.isObject() || !node.path("name").isTextual()) {
            return null;
        }
        JsonNode args = node.has("arguments") ? node.get("arguments") : node.get("parameters");
        if (args == null) {
            return null;
        }
        return new ToolCall("", node.get("name").asText(), argumentsText(args));
    }

    /** Arguments as a JSON object text: an object as it is, a string that holds JSON as that JSON. */
    static String argumentsText(JsonNode args) {
        if (args.isTextual()) {
            Parsed inner = readJson(args.asText(), 0);
            return inner != null
                    ? PyJson.dumps(JinjaChatTemplate.parseJson(inner.node().toString(), "arguments"))
                    : args.asText();
        }
        return PyJson.dumps(JinjaChatTemplate.parseJson(args.toString(), "arguments"));
    }

    /** Every complete JSON call object in {@code text} starting at an occurrence of {@code start}. */
    static List<ToolCall> jsonCalls(String text, String start) {
        List<ToolCall> calls = new ArrayList<>();
        int at = text.indexOf(start);
        while (at >= 0) {
            Parsed p = readJson(text, at);
            ToolCall call = p == null ? null : callFromObject(p.node());
            if (call != null) {
                calls.add(call);
                at = text.indexOf(start, p.end());
            } else {
                at = text.indexOf(start, at + 1);
            }
        }
        return calls;
    }
}
