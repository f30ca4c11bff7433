package dev.osprey.chat.impl;

import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.ParsedCompletion;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.Segment;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.chat.CompletionSplitter;
import dev.osprey.chat.JinjaChatTemplate;

/**
 * ChatML as Qwen2.5-Instruct's template writes it: {@code <|im_start|>role\ncontent<|im_end|>\n}, the
 * default system message "You are Qwen, created by Alibaba Cloud. You are a helpful assistant." when the
 * conversation has none (template argument {@code default_system} replaces it; an empty one leaves the
 * system turn out), tools in the system turn and {@code <tool_call>} / {@code <tool_response>} blocks.
 */
@Component(service = ChatTemplate.class)
public class ChatMlTemplate extends BuiltinTemplate {

    static final String QWEN25_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
    static final String TOOLS_INTRO = "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";
    static final String TOOLS_OUTRO = "\n</tools>\n\nFor each function call, return a json object with function name "
            + "and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, "
            + "\"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n";

    @Override
    public String name() {
        return "chatml";
    }

    @Override
    public String description() {
        return "ChatML as Qwen2/Qwen2.5 write it (<|im_start|>role ... <|im_end|>)";
    }

    @Override
    protected Set<String> stops() {
        return Set.of("<|im_end|>");
    }

    static String toolsBlock(Conversation c) {
        StringBuilder b = new StringBuilder(TOOLS_INTRO);
        for (var tool : JinjaChatTemplate.toHfTools(c.tools())) {
            b.append('\n').append(PyJson.dumps(tool));
        }
        return b.append(TOOLS_OUTRO).toString();
    }

    static String toolCall(ToolCall call) {
        return "<tool_call>\n{\"name\": \"" + call.name() + "\", \"arguments\": " + argumentsJson(call)
                + "}\n</tool_call>";
    }

    @Override
    public List<Segment> render(Conversation conversation, RenderOptions options) {
        List<ChatMessage> ms = conversation.messages();
        Out out = out(options);
        boolean firstIsSystem = !ms.isEmpty() && "system".equals(ms.get(0).role());
        String defaultSystem = String.valueOf(templateArg(options, "default_system", QWEN25_SYSTEM));
        if (!conversation.tools().isEmpty()) {
            out.prompt("<|im_start|>system\n" + (firstIsSystem ? ms.get(0).text() : defaultSystem) + "\n\n"
                    + toolsBlock(conversation));
        } else if (firstIsSystem) {
            out.prompt("<|im_start|>system\n" + ms.get(0).text() + "<|im_end|>\n");
        } else if (!defaultSystem.isEmpty()) {
            out.prompt("<|im_start|>system\n" + defaultSystem + "<|im_end|>\n");
        }
        for (int i = 0; i < ms.size(); i++) {
            ChatMessage m = ms.get(i);
            switch (m.role()) {
                case "system" -> {
                    if (i > 0) {
                        out.prompt("<|im_start|>system\n").media(m).prompt(m.text() + "<|im_end|>\n");
                    }
                }
                case "user" -> out.prompt("<|im_start|>user\n").media(m).prompt(m.text() + "<|im_end|>\n");
                case "assistant" -> {
                    boolean t = trains(options, ms, i);
                    if (m.toolCalls().isEmpty()) {
                        out.prompt("<|im_start|>assistant\n")
                                .add(m.text() + "<|im_end|>", t)
                                .prompt("\n");
                    } else {
                        StringBuilder b = new StringBuilder();
                        if (hasText(m)) {
                            b.append('\n').append(m.text());
                        }
                        for (ToolCall call : m.toolCalls()) {
                            b.append('\n').append(toolCall(call));
                        }
                        out.prompt("<|im_start|>assistant")
                                .add(b + "<|im_end|>", t)
                                .prompt("\n");
                    }
                }
                case "tool" -> toolResponse(out, ms, i);
                default -> throw unsupportedRole(i, m, "system, user, assistant, tool");
            }
        }
        if (options.addGenerationPrompt()) {
            out.prompt("<|im_start|>assistant\n");
        }
        return out.build();
    }

    @Override
    public List<ToolCall> parseToolCalls(String completion) {
        return parseCompletion(completion, true, RenderOptions.inference()).toolCalls();
    }

    @Override
    public ParsedCompletion parseCompletion(String completion, boolean finished, RenderOptions options) {
        return new CompletionSplitter(false, false, CompletionSplitter.hermes()).split(completion, finished);
    }

    @Override
    public String toolCallOpening(String function) {
        return CompletionSplitter.hermes().opening(function);
    }

    /** Tool results as Qwen's templates write them: consecutive tool messages share one user turn. */
    static void toolResponse(Out out, List<ChatMessage> ms, int i) {
        if (i == 0 || !"tool".equals(ms.get(i - 1).role())) {
            out.prompt("<|im_start|>user");
        }
        out.prompt("\n<tool_response>\n" + ms.get(i).text() + "\n</tool_response>");
        if (i == ms.size() - 1 || !"tool".equals(ms.get(i + 1).role())) {
            out.prompt("<|im_end|>\n");
        }
    }
}
