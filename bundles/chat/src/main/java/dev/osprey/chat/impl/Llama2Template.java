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
 * Llama 2 chat: {@code <s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] answer </s>} per round, the
 * system message in the first round, contents stripped, roles alternating. There is no generation
 * prompt: a prompt ends with {@code [/INST]}, as in the model's template. The trainable part of an answer
 * starts with the space after {@code [/INST]}: SentencePiece and byte-level BPE tokenizers fold that
 * space into the answer's first token, so it cannot be a segment of its own.
 */
@Component(service = ChatTemplate.class)
public class Llama2Template extends BuiltinTemplate {

    @Override
    public String name() {
        return "llama2";
    }

    @Override
    public String description() {
        return "Llama 2 chat ([INST] <<SYS>> ... <</SYS>> ... [/INST])";
    }

    @Override
    protected Set<String> stops() {
        return Set.of("</s>");
    }

    @Override
    public List<Segment> render(Conversation conversation, RenderOptions options) {
        List<ChatMessage> ms = conversation.messages();
        Out out = out(options);
        String system = leadingSystem(ms);
        for (Turn turn : alternatingTurns(ms)) {
            ChatMessage m = turn.message();
            int i = turn.index();
            String content =
                    turn.firstUser() && system != null ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + m.text() : m.text();
            if (turn.user()) {
                out.prompt("<s>[INST] ").media(m).prompt(trim(content) + " [/INST]");
            } else {
                out.add(" " + trim(content) + " </s>", trains(options, ms, i));
            }
        }
        return out.build();
    }
}
