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
 * Gemma instruct (gemma-2b-it, gemma-7b-it, Gemma 2): {@code <bos><start_of_turn>user\n...<end_of_turn>\n}
 * {@code <start_of_turn>model\n...<end_of_turn>\n}, contents trimmed, roles alternating. The model's
 * template refuses a system message; this one folds it into the first user turn
 * ({@code system + "\n\n" + user}), as Gemma 3's template does.
 */
@Component(service = ChatTemplate.class)
public class GemmaTemplate extends BuiltinTemplate {

    @Override
    public String name() {
        return "gemma";
    }

    @Override
    public String description() {
        return "Gemma instruct (<start_of_turn>user ... <end_of_turn>, role model)";
    }

    @Override
    protected Set<String> stops() {
        return Set.of("<end_of_turn>");
    }

    @Override
    public List<Segment> render(Conversation conversation, RenderOptions options) {
        List<ChatMessage> ms = conversation.messages();
        Out out = out(options).prompt("<bos>");
        String system = leadingSystem(ms);
        for (Turn turn : alternatingTurns(ms)) {
            ChatMessage m = turn.message();
            int i = turn.index();
            if (turn.user()) {
                String prefix = turn.firstUser() && system != null ? system + "\n\n" : "";
                out.prompt("<start_of_turn>user\n" + prefix).media(m).prompt(trim(m.text()) + "<end_of_turn>\n");
            } else {
                out.prompt("<start_of_turn>model\n")
                        .add(trim(m.text()) + "<end_of_turn>", trains(options, ms, i))
                        .prompt("\n");
            }
        }
        if (options.addGenerationPrompt()) {
            out.prompt("<start_of_turn>model\n");
        }
        return out.build();
    }
}
