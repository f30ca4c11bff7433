package dev.osprey.chat.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import dev.osprey.api.chat.ToolCall;
import dev.osprey.api.chat.ToolSpec;
import dev.osprey.chat.impl.PyJson;

/**
 * {@code hermes}, the tool format of Qwen2.5 and Qwen3 (and NousResearch Hermes): the tools as JSON lines inside
 * {@code <tools>} in the system message, each call as <code>&lt;tool_call&gt;\n{"name": ..., "arguments": {...}}\n&lt;/tool_call&gt;</code>,
 * results as {@code <tool_response>} blocks in a user turn.
 */
public class HermesFormat extends AgentFormat {

    static final String START = "<tool_call>";
    static final String END = "</tool_call>";

    @Override
    public String name() {
        return "hermes";
    }

    @Override
    public String system(String system, List<ToolSpec> tools) {
        String lines = wrapped(tools).stream().map(PyJson::dumps).collect(Collectors.joining("\n"));
        return system + "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" + lines
                + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within"
                + " <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\":"
                + " <args-json-object>}\n</tool_call>";
    }

    @Override
    public String calls(List<ToolCall> calls) {
        return calls.stream()
                .map(c -> START + "\n{\"name\": " + PyJson.dumps(c.name()) + ", \"arguments\": " + arguments(c) + "}\n"
                        + END)
                .collect(Collectors.joining("\n"));
    }

    @Override
    public String results(List<String> results) {
        return results.stream()
                .map(r -> "<tool_response>\n" + r + "\n</tool_response>")
                .collect(Collectors.joining("\n"));
    }

    @Override
    public String callStart() {
        return START;
    }

    @Override
    public String opening(String function) {
        return function == null
                ? START + "\n{\"name\": \""
                : START + "\n{\"name\": " + PyJson.dumps(function) + ", \"arguments\": ";
    }

    @Override
    public List<ToolCall> parse(String text, boolean finished) {
        List<ToolCall> calls = new ArrayList<>();
        int at = text.indexOf(START);
        while (at >= 0) {
            int end = text.indexOf(END, at);
            if (end < 0 && !finished) {
                break;
            }
            String body = text.substring(at + START.length(), end < 0 ? text.length() : end);
            Parsed p = readJson(body.strip(), 0);
            ToolCall call = p == null ? null : callFromObject(p.node());
            if (call != null) {
                calls.add(call);
            }
            at = end < 0 ? -1 : text.indexOf(START, end);
        }
        return calls;
    }
}
