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
        int start = 0;
        String system = null;
        if (!ms.isEmpty() && "system".equals(ms.get(0).role())) {
            system = ms.get(0).text();
            start = 1;
        }
        for (int i = start; i < ms.size(); i++) {
            ChatMessage m = ms.get(i);
            int j = i - start;
            if (!"user".equals(m.role()) && !"assistant".equals(m.role())) {
                throw unsupportedRole(i, m, "an optional first system message, then user and assistant");
            }
            if ("user".equals(m.role()) != (j % 2 == 0)) {
                throw notAlternating(i);
            }
            String content = j == 0 && system != null ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + m.text() : m.text();
            if ("user".equals(m.role())) {
                out.prompt("<s>[INST] ").media(m).prompt(trim(content) + " [/INST]");
            } else {
                out.add(" " + trim(content) + " </s>", trains(options, ms, i));
            }
        }
        return out.build();
    }
}
