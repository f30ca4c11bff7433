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

/**
 * Qwen3's template: ChatML without a default system message; the assistant turns after the last user
 * query carry their reasoning as {@code <think>\n...\n</think>\n\n} (the last one always, empty if it has
 * none), earlier ones lose it; with {@code enable_thinking=false} the generation prompt ends with an
 * empty think block. Reasoning comes from {@link ChatMessage#reasoning()} or, as the template does, from
 * a {@code <think>...</think>} in the content.
 */
@Component(service = ChatTemplate.class)
public class Qwen3Template extends BuiltinTemplate {

    @Override
    public String name() {
        return "qwen3";
    }

    @Override
    public String description() {
        return "Qwen3 (ChatML with <think> reasoning and enable_thinking)";
    }

    @Override
    protected Set<String> stops() {
        return Set.of("<|im_end|>");
    }

    @Override
    public List<ToolCall> parseToolCalls(String completion) {
        return parseCompletion(completion, true, RenderOptions.inference()).toolCalls();
    }

    /** {@code <think>} blocks the model opens itself, and Hermes tool calls. */
    @Override
    public ParsedCompletion parseCompletion(String completion, boolean finished, RenderOptions options) {
        return new CompletionSplitter(true, false, CompletionSplitter.hermes()).split(completion, finished);
    }

    @Override
    public String toolCallOpening(String function) {
        return CompletionSplitter.hermes().opening(function);
    }

    @Override
    public String thinkingEnd() {
        return CompletionSplitter.THINK_END;
    }

    @Override
    public List<Segment> render(Conversation conversation, RenderOptions options) {
        List<ChatMessage> ms = conversation.messages();
        Out out = out(options);
        boolean firstIsSystem = !ms.isEmpty() && "system".equals(ms.get(0).role());
        if (!conversation.tools().isEmpty()) {
            out.prompt("<|im_start|>system\n" + (firstIsSystem ? ms.get(0).text() + "\n\n" : "")
                    + ChatMlTemplate.toolsBlock(conversation));
        } else if (firstIsSystem) {
            out.prompt("<|im_start|>system\n" + ms.get(0).text() + "<|im_end|>\n");
        }
        int lastQuery = ms.size() - 1;
        for (int i = ms.size() - 1; i >= 0; i--) {
            String text = ms.get(i).text();
            if ("user".equals(ms.get(i).role())
                    && !(text.startsWith("<tool_response>") && text.endsWith("</tool_response>"))) {
                lastQuery = i;
                break;
            }
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
                    String content = m.text();
                    String reasoning = m.reasoning();
                    if (reasoning.isEmpty() && content.contains("</think>")) {
                        List<String> parts = PythonMethods.split(content, "</think>", -1);
                        List<String> before = PythonMethods.split(rstrip(parts.get(0), "\n"), "<think>", -1);
                        reasoning = lstrip(before.get(before.size() - 1), "\n");
                        content = lstrip(parts.get(parts.size() - 1), "\n");
                    }
                    StringBuilder b = new StringBuilder();
                    if (i > lastQuery && (i == ms.size() - 1 || !reasoning.isEmpty())) {
                        b.append("<think>\n")
                                .append(strip(reasoning, "\n"))
                                .append("\n</think>\n\n")
                                .append(lstrip(content, "\n"));
                    } else {
                        b.append(content);
                    }
                    for (int j = 0; j < m.toolCalls().size(); j++) {
                        if (j > 0 || !content.isEmpty()) {
                            b.append('\n');
                        }
                        b.append(ChatMlTemplate.toolCall(m.toolCalls().get(j)));
                    }
                    out.prompt("<|im_start|>assistant\n")
                            .add(b + "<|im_end|>", trains(options, ms, i))
                            .prompt("\n");
                }
                case "tool" -> ChatMlTemplate.toolResponse(out, ms, i);
                default -> throw unsupportedRole(i, m, "system, user, assistant, tool");
            }
        }
        if (options.addGenerationPrompt()) {
            out.prompt("<|im_start|>assistant\n");
            if (Boolean.FALSE.equals(options.templateArgs().get("enable_thinking"))) {
                out.prompt("<think>\n\n</think>\n\n");
            }
        }
        return out.build();
    }
}
