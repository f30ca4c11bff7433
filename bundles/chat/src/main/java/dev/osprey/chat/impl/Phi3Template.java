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
 * Phi-3-mini-4k-instruct's template: {@code <|role|>\ncontent<|end|>\n} for system, user and assistant;
 * {@code <|assistant|>\n} as the generation prompt, {@code <|endoftext|>} at the end otherwise.
 */
@Component(service = ChatTemplate.class)
public class Phi3Template extends BuiltinTemplate {

    @Override
    public String name() {
        return "phi3";
    }

    @Override
    public String description() {
        return "Phi-3 (<|user|>\\n...<|end|>\\n<|assistant|>\\n)";
    }

    @Override
    protected Set<String> stops() {
        return Set.of("<|end|>", "<|endoftext|>");
    }

    @Override
    public List<Segment> render(Conversation conversation, RenderOptions options) {
        List<ChatMessage> ms = conversation.messages();
        Out out = out(options);
        for (int i = 0; i < ms.size(); i++) {
            ChatMessage m = ms.get(i);
            switch (m.role()) {
                case "system", "user" ->
                    out.prompt("<|" + m.role() + "|>\n").media(m).prompt(m.text() + "<|end|>\n");
                case "assistant" ->
                    out.prompt("<|assistant|>\n")
                            .add(m.text() + "<|end|>", trains(options, ms, i))
                            .prompt("\n");
                default -> throw unsupportedRole(i, m, "system, user, assistant");
            }
        }
        out.prompt(options.addGenerationPrompt() ? "<|assistant|>\n" : "<|endoftext|>");
        return out.build();
    }
}
