package dev.osprey.chat.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.osprey.api.chat.ToolCall;
import dev.osprey.api.chat.ToolSpec;
import dev.osprey.chat.impl.PyJson;

/**
 * {@code deepseek_v3_1}: DeepSeek-V3.1's tool format. The tools as Markdown sections in the system message; calls
 * as {@code <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>name<｜tool▁sep｜>{json}<｜tool▁call▁end｜>...<｜tool▁calls▁end｜>};
 * results as {@code <｜tool▁output▁begin｜>...<｜tool▁output▁end｜>}.
 */
public class DeepSeekV31Format extends AgentFormat {

    static final String CALLS_BEGIN = "<｜tool▁calls▁begin｜>";
    static final String CALLS_END = "<｜tool▁calls▁end｜>";
    static final String CALL_BEGIN = "<｜tool▁call▁begin｜>";
    static final String SEP = "<｜tool▁sep｜>";
    static final String CALL_END = "<｜tool▁call▁end｜>";

    @Override
    public String name() {
        return "deepseek_v3_1";
    }

    @Override
    public String system(String system, List<ToolSpec> tools) {
        List<String> sections = new ArrayList<>();
        for (Map<String, Object> f : functions(tools)) {
            sections.add("### " + f.get("name") + "\nDescription: " + f.get("description") + "\n\nParameters: "
                    + PyJson.dumps(f.get("parameters")));
        }
        return system + "\n\n## Tools\nYou have access to the following tools:\n\n" + String.join("\n\n", sections)
                + "\n\nIMPORTANT: ALWAYS adhere to this exact format for tool use:\n" + CALLS_BEGIN + CALL_BEGIN
                + "tool_call_name" + SEP + "tool_call_arguments" + CALL_END + "{additional_tool_calls}" + CALLS_END
                + "\n\nWhere:\n- `tool_call_name` must be an exact match to one of the available tools\n"
                + "- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters Schema\n"
                + "- For multiple tool calls, chain them directly without separators or spaces";
    }

    @Override
    public String calls(List<ToolCall> calls) {
        return CALLS_BEGIN
                + calls.stream()
                        .map(c -> CALL_BEGIN + c.name() + SEP + arguments(c) + CALL_END)
                        .collect(Collectors.joining())
                + CALLS_END;
    }

    @Override
    public String results(List<String> results) {
        return results.stream()
                .map(r -> "<｜tool▁output▁begin｜>" + r + "<｜tool▁output▁end｜>")
                .collect(Collectors.joining());
    }

    @Override
    public String callStart() {
        return CALLS_BEGIN;
    }

    @Override
    public String opening(String function) {
        return function == null ? CALLS_BEGIN + CALL_BEGIN : CALLS_BEGIN + CALL_BEGIN + function + SEP;
    }

    @Override
    public List<ToolCall> parse(String text, boolean finished) {
        List<ToolCall> calls = new ArrayList<>();
        int at = text.indexOf(CALL_BEGIN);
        while (at >= 0) {
            int sep = text.indexOf(SEP, at);
            if (sep < 0) {
                break;
            }
            int end = text.indexOf(CALL_END, sep);
            if (end < 0 && !finished) {
                break;
            }
            String args = text.substring(sep + SEP.length(), end < 0 ? text.length() : end)
                    .replace(CALLS_END, "")
                    .strip();
            Parsed p = readJson(args, 0);
            calls.add(new ToolCall(
                    "",
                    text.substring(at + CALL_BEGIN.length(), sep).strip(),
                    p != null && p.node().isObject() ? argumentsText(p.node()) : args));
            at = end < 0 ? -1 : text.indexOf(CALL_BEGIN, end);
        }
        return calls;
    }
}
