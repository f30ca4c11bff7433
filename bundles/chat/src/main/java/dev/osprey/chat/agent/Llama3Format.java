package dev.osprey.chat.agent;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.osprey.api.chat.ToolCall;
import dev.osprey.api.chat.ToolSpec;
import dev.osprey.chat.JinjaChatTemplate;
import dev.osprey.chat.impl.PyJson;

/**
 * {@code llama3} and {@code llama4}: Meta's JSON tool calling. The tools (indented JSON) and the instructions go
 * before the first user message; a call is a bare {@code {"name": ..., "parameters": {...}}} object, one per line.
 */
public class Llama3Format extends AgentFormat {

    static final String START = "{\"name\"";

    private final String name;

    public Llama3Format(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String system(String system, List<ToolSpec> tools) {
        return system;
    }

    @Override
    public boolean toolsInUser() {
        return true;
    }

    @Override
    public String user(String user, List<ToolSpec> tools) {
        String descs = wrapped(tools).stream().map(t -> PyJson.dumps(t, 4)).collect(Collectors.joining("\n\n"));
        return "Given the following functions, please respond with a JSON for a function call with its proper"
                + " arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name,"
                + " \"parameters\": dictionary of argument name and its value}. Do not use variables.\n\n" + descs
                + "\n\n" + user;
    }

    @Override
    public String calls(List<ToolCall> calls) {
        return calls.stream()
                .map(c -> {
                    Map<String, Object> call = new LinkedHashMap<>();
                    call.put("name", c.name());
                    String args = arguments(c);
                    call.put(
                            "parameters",
                            args.equals(c.argumentsJson()) && readJson(args, 0) == null
                                    ? args // not JSON: as it is
                                    : JinjaChatTemplate.parseJson(args, "arguments of " + c.name()));
                    return PyJson.dumps(call);
                })
                .collect(Collectors.joining("\n"));
    }

    @Override
    public String results(List<String> results) {
        return String.join("\n", results);
    }

    @Override
    public String callStart() {
        return START;
    }

    @Override
    public String opening(String function) {
        return function == null ? START + ": \"" : START + ": " + PyJson.dumps(function) + ", \"parameters\": ";
    }

    @Override
    public List<ToolCall> parse(String text, boolean finished) {
        return jsonCalls(text, START);
    }
}
