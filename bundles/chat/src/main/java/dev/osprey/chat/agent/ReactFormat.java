package dev.osprey.chat.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.osprey.api.chat.ToolCall;
import dev.osprey.api.chat.ToolSpec;
import dev.osprey.chat.impl.PyJson;

/**
 * {@code react_en} and {@code react_zh}: ReAct prompting. The system message lists the tools and the
 * Thought / Action / Action Input / Observation format; a call is {@code Action: name\nAction Input: {json}\n}
 * followed by {@code Observation:}, where generation stops; the tool results come back in the next user turn as
 * {@code Observation: ...}.
 */
public class ReactFormat extends AgentFormat {

    static final String ACTION = "Action:";
    static final String INPUT = "Action Input:";
    static final String OBSERVATION = "Observation:";

    private final boolean chinese;

    public ReactFormat(boolean chinese) {
        this.chinese = chinese;
    }

    @Override
    public String name() {
        return chinese ? "react_zh" : "react_en";
    }

    @Override
    public String system(String system, List<ToolSpec> tools) {
        List<String> names = new ArrayList<>();
        List<String> descs = new ArrayList<>();
        for (Map<String, Object> f : functions(tools)) {
            String name = String.valueOf(f.get("name"));
            names.add(name);
            String parameters = PyJson.dumps(f.get("parameters"));
            descs.add(
                    chinese
                            ? name + ": 调用此工具与 " + name + " API 进行交互。" + name + " 有什么用？" + f.get("description")
                                    + " 输入参数：" + parameters + " 此工具的输入应为JSON对象。"
                            : name + ": Call this tool to interact with the " + name + " API. What is the " + name
                                    + " API useful for? " + f.get("description") + " Parameters: " + parameters
                                    + " Format the arguments as a JSON object.");
        }
        String list = String.join(",", names);
        String body = chinese
                ? "尽可能地回答以下问题。你可以使用以下工具:\n\n" + String.join("\n\n", descs)
                        + "\n\n请按照以下格式进行:\n\nQuestion: 需要你回答的输入问题\nThought: 你应该总是思考该做什么\n"
                        + "Action: 需要使用的工具，应该是[" + list + "]中的一个\nAction Input: 传入工具的内容\n"
                        + "Observation: 行动的结果\n... (这个Thought/Action/Action Input/Observation可以重复N次)\n"
                        + "Thought: 我现在知道最后的答案\nFinal Answer: 对原始输入问题的最终答案\n\n现在开始！\n"
                : "Answer the following questions as best you can. You have access to the following tools:\n\n"
                        + String.join("\n\n", descs)
                        + "\n\nUse the following format:\n\nQuestion: the input question you must answer\n"
                        + "Thought: you should always think about what to do\nAction: the action to take, should be"
                        + " one of [" + list + "]\nAction Input: the input to the action\nObservation: the result of"
                        + " the action\n... (this Thought/Action/Action Input/Observation can be repeated zero or more"
                        + " times)\nThought: I now know the final answer\nFinal Answer: the final answer to the"
                        + " original input question\n\nBegin!\n";
        return system.isEmpty() ? body : system + "\n\n" + body;
    }

    @Override
    public String calls(List<ToolCall> calls) {
        return calls.stream()
                        .map(c -> ACTION + " " + c.name() + "\n" + INPUT + " " + arguments(c) + "\n")
                        .collect(Collectors.joining())
                + OBSERVATION;
    }

    @Override
    public String results(List<String> results) {
        return results.stream().map(r -> OBSERVATION + " " + r).collect(Collectors.joining("\n"));
    }

    @Override
    public Set<String> stops() {
        return Set.of(OBSERVATION);
    }

    @Override
    public String callStart() {
        return ACTION;
    }

    @Override
    public String opening(String function) {
        return function == null ? ACTION + " " : ACTION + " " + function + "\n" + INPUT + " ";
    }

    /** Each {@code Action:} with the {@code Action Input:} after it, up to the next keyword or the end. */
    @Override
    public List<ToolCall> parse(String text, boolean finished) {
        List<ToolCall> calls = new ArrayList<>();
        int at = text.indexOf(ACTION);
        while (at >= 0) {
            int input = text.indexOf(INPUT, at);
            if (input < 0) {
                break;
            }
            String name = text.substring(at + ACTION.length(), input).strip();
            int from = input + INPUT.length();
            int next = nextKeyword(text, from);
            if (next < 0 && !finished) {
                break; // the input may go on
            }
            String args = text.substring(from, next < 0 ? text.length() : next).strip();
            Parsed p = readJson(args, 0);
            calls.add(new ToolCall("", name, p != null && p.node().isObject() ? argumentsText(p.node()) : args));
            at = next < 0 ? -1 : text.indexOf(ACTION, next);
        }
        return calls;
    }

    private static int nextKeyword(String text, int from) {
        int a = text.indexOf(ACTION, from);
        int o = text.indexOf(OBSERVATION, from);
        return a < 0 ? o : o < 0 ? a : Math.min(a, o);
    }
}
