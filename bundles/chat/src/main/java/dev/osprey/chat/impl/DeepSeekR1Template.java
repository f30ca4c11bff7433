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
import dev.osprey.chat.CompletionSplitter;

/**
 * DeepSeek-R1-Distill's template: {@code <｜begin▁of▁sentence｜>} + the system message, then
 * {@code <｜User｜>question<｜Assistant｜>answer<｜end▁of▁sentence｜>}; the generation prompt is
 * {@code <｜Assistant｜><think>\n}. Assistant turns lose their {@code <think>} part, as in the model's
 * template, except the final answer of a training conversation (after the last user message): when it
 * has reasoning (in {@link ChatMessage#reasoning()} or as {@code <think>...</think>} in the content) it is
 * rendered {@code <｜Assistant｜><think>\n} + reasoning + {@code \n</think>\n\n} + answer, the form the
 * model generates after its generation prompt, so that the reasoning is trained on (ms-swift keeps it
 * too). Template argument {@code keep_last_reasoning=false} drops it as the model's template does.
 */
@Component(service = ChatTemplate.class)
public class DeepSeekR1Template extends BuiltinTemplate {

    static final String BOS = "<｜begin▁of▁sentence｜>";
    static final String EOS = "<｜end▁of▁sentence｜>";

    @Override
    public String name() {
        return "deepseek_r1";
    }

    @Override
    public String description() {
        return "DeepSeek-R1-Distill (<｜User｜>...<｜Assistant｜>, earlier <think> parts dropped)";
    }

    @Override
    protected Set<String> stops() {
        return Set.of(EOS);
    }

    /** The generation prompt opens the {@code <think>} block: the completion is thinking up to {@code </think>}. */
    @Override
    public ParsedCompletion parseCompletion(String completion, boolean finished, RenderOptions options) {
        return new CompletionSplitter(true, true, null).split(completion, finished);
    }

    @Override
    public String thinkingEnd() {
        return CompletionSplitter.THINK_END;
    }

    @Override
    public List<Segment> render(Conversation conversation, RenderOptions options) {
        List<ChatMessage> ms = conversation.messages();
        Out out = out(options);
        String system = "";
        for (ChatMessage m : ms) {
            if ("system".equals(m.role())) {
                system = m.text();
            }
        }
        out.prompt(BOS + system);
        int lastUser = lastIndexOf(ms, "user");
        int lastAssistant = lastIndexOf(ms, "assistant");
        boolean keep = !Boolean.FALSE.equals(options.templateArgs().get("keep_last_reasoning"));
        for (int i = 0; i < ms.size(); i++) {
            ChatMessage m = ms.get(i);
            switch (m.role()) {
                case "system" -> {
                    // the last system message opens the conversation
                }
                case "user" -> out.prompt("<｜User｜>").media(m).prompt(m.text());
                case "assistant" -> {
                    if (!m.toolCalls().isEmpty()) {
                        throw new IllegalArgumentException("message " + i + ": the " + name()
                                + " built-in template does not render tool calls; use the model's own template");
                    }
                    String content = m.text();
                    String reasoning = m.reasoning();
                    if (content.contains("</think>")) {
                        List<String> parts = PythonMethods.split(content, "</think>", -1);
                        if (reasoning.isEmpty()) {
                            List<String> before = PythonMethods.split(parts.get(0), "<think>", -1);
                            reasoning = before.get(before.size() - 1);
                        }
                        content = parts.get(parts.size() - 1);
                    }
                    boolean t = trains(options, ms, i);
                    if (keep
                            && i == lastAssistant
                            && i > lastUser
                            && !strip(reasoning, "\n").isEmpty()) {
                        out.prompt("<｜Assistant｜><think>\n")
                                .add(strip(reasoning, "\n") + "\n</think>\n\n" + lstrip(content, "\n") + EOS, t);
                    } else {
                        out.prompt("<｜Assistant｜>").add(content + EOS, t);
                    }
                }
                default -> throw unsupportedRole(i, m, "system, user, assistant");
            }
        }
        if (options.addGenerationPrompt()) {
            out.prompt("<｜Assistant｜><think>\n");
        }
        return out.build();
    }
}
