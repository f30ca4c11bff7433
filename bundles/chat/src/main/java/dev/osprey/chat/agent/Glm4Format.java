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
 * {@code glm4} (GLM-4-0414) and {@code chatglm4} (GLM-4, with its default system text): the tools as Markdown
 * sections ({@code ## name} and the function as indented JSON) under {@code # 可用工具}; a call is the function name
 * on a line of its own and the arguments as JSON on the next, calls separated by {@code <|assistant|>}, the turn
 * ended by {@code <|observation|>}. A call has no opening marker, so while a reply is being written its last two
 * lines wait: they may turn out to be a call.
 */
public class Glm4Format extends AgentFormat {

    static final String ASSISTANT = "<|assistant|>";
    static final String OBSERVATION = "<|observation|>";
    static final String GLM4_SYSTEM =
            "你是一个名为 GLM-4 的人工智能助手。你是基于智谱AI训练的语言模型 GLM-4 模型开发的，" + "你的任务是针对用户的问题和要求提供适当的答复和支持。\n\n";

    private final boolean chatglm4;

    public Glm4Format(boolean chatglm4) {
        this.chatglm4 = chatglm4;
    }

    @Override
    public String name() {
        return chatglm4 ? "chatglm4" : "glm4";
    }

    @Override
    public String system(String system, List<ToolSpec> tools) {
        List<String> descs = new ArrayList<>();
        for (Map<String, Object> f : functions(tools)) {
            descs.add("## " + f.get("name") + "\n\n" + PyJson.dumps(f, 4) + "\n在调用上述函数时，请使用 Json 格式表示调用的参数。");
        }
        String body = (chatglm4 ? GLM4_SYSTEM : "") + "# 可用工具\n\n" + String.join("\n", descs);
        return system.isEmpty() ? body : system + "\n\n" + body;
    }

    @Override
    public String calls(List<ToolCall> calls) {
        return calls.stream().map(c -> c.name() + "\n" + arguments(c)).collect(Collectors.joining(ASSISTANT))
                + OBSERVATION;
    }

    @Override
    public String results(List<String> results) {
        return String.join("\n", results);
    }

    @Override
    public Set<String> stops() {
        return Set.of(OBSERVATION);
    }

    @Override
    public String callStart() {
        return "\n{";
    }

    /** The start of the line before the first {@code \n{}: the function name. */
    @Override
    public int firstCall(String text) {
        int brace = text.indexOf("\n{");
        return brace < 0 ? -1 : text.lastIndexOf('\n', brace - 1) + 1;
    }

    /** All but the last two lines, which may be a name and the start of its arguments. */
    @Override
    public int certainContent(String text) {
        int last = text.lastIndexOf('\n');
        return last < 0 ? 0 : text.lastIndexOf('\n', last - 1) + 1;
    }

    @Override
    public String opening(String function) {
        return function == null ? "" : function + "\n";
    }

    @Override
    public List<ToolCall> parse(String text, boolean finished) {
        List<ToolCall> calls = new ArrayList<>();
        String[] parts = text.replace(OBSERVATION, "").split(java.util.regex.Pattern.quote(ASSISTANT), -1);
        for (int i = 0; i < parts.length; i++) {
            if (i == parts.length - 1 && !finished) {
                break; // the last one may go on
            }
            String part = parts[i];
            int brace = part.indexOf("\n{");
            if (brace < 0) {
                continue;
            }
            String name =
                    part.substring(part.lastIndexOf('\n', brace - 1) + 1, brace).strip();
            Parsed p = readJson(part, brace + 1);
            if (!name.isEmpty() && p != null && p.node().isObject()) {
                calls.add(new ToolCall("", name, argumentsText(p.node())));
            }
        }
        return calls;
    }
}
