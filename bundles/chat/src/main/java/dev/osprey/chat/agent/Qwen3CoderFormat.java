package dev.osprey.chat.agent;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.osprey.api.chat.ToolCall;
import dev.osprey.api.chat.ToolSpec;
import dev.osprey.chat.JinjaChatTemplate;
import dev.osprey.chat.impl.PyJson;

/**
 * {@code qwen3_coder}: Qwen3-Coder's XML tool format. The tools as {@code <function>} blocks (name, description, each
 * parameter with its type and description) inside {@code <tools>}; a call as
 * {@code <tool_call>\n<function=NAME>\n<parameter=KEY>\nVALUE\n</parameter>\n...</function>\n</tool_call>}, values
 * as text (JSON for objects, lists, booleans and null), read back as strings, as ms-swift reads them.
 */
public class Qwen3CoderFormat extends AgentFormat {

    static final String START = "<tool_call>";
    static final String END = "</tool_call>";
    static final String DEFAULT_SYSTEM =
            "You are Qwen, a helpful AI assistant that can interact with a computer to solve tasks.";
    static final String SUFFIX = "</tools>\n\nIf you choose to call a function ONLY reply in the following format with"
            + " NO suffix:\n\n<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\n"
            + "value_1\n</parameter>\n<parameter=example_parameter_2>\nThis is the value for the second parameter\n"
            + "that can span\nmultiple lines\n</parameter>\n</function>\n</tool_call>\n\n<IMPORTANT>\n"
            + "Reminder:\n- Function calls MUST follow the specified format: an inner <function=...></function>"
            + " block must be nested within <tool_call></tool_call> XML tags\n- Required parameters MUST be specified\n"
            + "- You may provide optional reasoning for your function call in natural language BEFORE the function"
            + " call, but NOT after\n- If there is no function call available, answer the question like normal with"
            + " your current knowledge and do not tell the user about function calls\n</IMPORTANT>";
    private static final Pattern PARAMETER = Pattern.compile("(?s)<parameter=([^>]+)>\\s*(.*?)\\s*</parameter>");

    @Override
    public String name() {
        return "qwen3_coder";
    }

    @Override
    @SuppressWarnings("unchecked")
    public String system(String system, List<ToolSpec> tools) {
        List<String> parts = new ArrayList<>();
        parts.add((system.isEmpty() ? DEFAULT_SYSTEM : system)
                + "\n\n# Tools\n\nYou have access to the following functions:\n\n<tools>");
        for (Map<String, Object> f : functions(tools)) {
            StringBuilder d = new StringBuilder("<function>\n<name>")
                    .append(f.get("name"))
                    .append("</name>");
            d.append("\n<description>")
                    .append(String.valueOf(f.get("description")).strip())
                    .append("</description>");
            d.append("\n<parameters>");
            Object parameters = f.get("parameters");
            if (parameters instanceof Map<?, ?> p && p.get("properties") instanceof Map<?, ?> properties) {
                for (Map.Entry<?, ?> e : properties.entrySet()) {
                    d.append("\n<parameter>\n<name>").append(e.getKey()).append("</name>");
                    if (e.getValue() instanceof Map<?, ?> field) {
                        if (field.containsKey("type")) {
                            d.append("\n<type>").append(text(field.get("type"))).append("</type>");
                        }
                        if (field.get("description") instanceof String desc) {
                            d.append("\n<description>").append(desc.strip()).append("</description>");
                        }
                        extraKeys(d, (Map<String, Object>) field, Set.of("name", "type", "description"));
                    }
                    d.append("\n</parameter>");
                }
            }
            if (parameters instanceof Map<?, ?> p) {
                extraKeys(d, (Map<String, Object>) p, Set.of("type", "properties"));
            }
            d.append("\n</parameters>");
            extraKeys(d, f, Set.of("type", "name", "description", "parameters"));
            d.append("\n</function>");
            parts.add(d.toString());
        }
        parts.add(SUFFIX);
        return String.join("\n", parts);
    }

    /** Python's {@code str()} of a schema value: strings as they are, the rest as JSON. */
    private static String text(Object value) {
        return value instanceof String s ? s : PyJson.dumps(value);
    }

    private static void extraKeys(StringBuilder d, Map<String, Object> map, Set<String> handled) {
        for (Map.Entry<String, Object> e : map.entrySet()) {
            if (!handled.contains(e.getKey())) {
                d.append("\n<")
                        .append(e.getKey())
                        .append('>')
                        .append(PyJson.dumps(e.getValue()))
                        .append("</")
                        .append(e.getKey())
                        .append('>');
            }
        }
    }

    @Override
    public String calls(List<ToolCall> calls) {
        return calls.stream()
                .map(c -> {
                    StringBuilder b = new StringBuilder(START + "\n<function=" + c.name() + ">\n");
                    Object args = JinjaChatTemplate.parseJson(arguments(c), "arguments of tool call " + c.name());
                    if (args instanceof Map<?, ?> map) {
                        for (Map.Entry<?, ?> e : map.entrySet()) {
                            Object v = e.getValue();
                            String value = v instanceof Map || v instanceof List || v instanceof Boolean || v == null
                                    ? PyJson.dumps(v)
                                    : v instanceof String s ? s : PyJson.dumps(v);
                            b.append("<parameter=")
                                    .append(e.getKey())
                                    .append(">\n")
                                    .append(value)
                                    .append("\n</parameter>\n");
                        }
                    }
                    return b.append("</function>\n" + END).toString();
                })
                .collect(Collectors.joining("\n"));
    }

    @Override
    public String results(List<String> results) {
        return results.stream()
                .map(r -> "<tool_response>\n" + r + "\n</tool_response>\n")
                .collect(Collectors.joining());
    }

    @Override
    public String callStart() {
        return START;
    }

    @Override
    public String opening(String function) {
        return function == null ? START + "\n<function=" : START + "\n<function=" + function + ">\n";
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
            String body = text.substring(at + START.length(), end < 0 ? text.length() : end)
                    .strip();
            if (body.startsWith("<function=") && body.endsWith("</function>") && body.indexOf('>') > 0) {
                String name =
                        body.substring("<function=".length(), body.indexOf('>')).strip();
                Map<String, Object> args = new LinkedHashMap<>();
                Matcher m = PARAMETER.matcher(body);
                while (m.find()) {
                    args.put(m.group(1).strip(), m.group(2).strip());
                }
                calls.add(new ToolCall("", name, PyJson.dumps(args)));
            }
            at = end < 0 ? -1 : text.indexOf(START, end);
        }
        return calls;
    }
}
