package dev.osprey.chat.impl;

import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.Segment;

/**
 * Mistral-7B-Instruct-v0.1's template: {@code <s>[INST] user [/INST]answer</s> [INST] ...}, roles
 * alternating. The model's template refuses a system message; this one folds it into the first user
 * message ({@code system + "\n\n" + user}), as mistral-common does. No generation prompt: a prompt ends
 * with {@code [/INST]}.
 */
@Component(service = ChatTemplate.class)
public class MistralTemplate extends BuiltinTemplate {

    @Override
    public String name() {
        return "mistral";
    }

    @Override
    public String description() {
        return "Mistral Instruct v0.1 ([INST] ... [/INST])";
    }

    @Override
    protected Set<String> stops() {
        return Set.of("</s>");
    }

    @Override
    public List<Segment> render(Conversation conversation, RenderOptions options) {
        List<ChatMessage> ms = conversation.messages();
        Out out = out(options).prompt("<s>");
        String system = leadingSystem(ms);
        for (Turn turn : alternatingTurns(ms)) {
            ChatMessage m = turn.message();
            int i = turn.index();
            if (turn.user()) {
                String content = turn.firstUser() && system != null ? system + "\n\n" + m.text() : m.text();
                out.prompt("[INST] ").media(m).prompt(content + " [/INST]");
            } else {
                out.add(m.text() + "</s>", trains(options, ms, i)).prompt(" ");
            }
        }
        return out.build();
    }
}
