package dev.osprey.chat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.ParsedCompletion;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.Segment;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.chat.agent.AgentFormat;
import dev.osprey.chat.agent.AgentFormats;

/**
 * A chat template with an ms-swift agent template ({@code --agent_template}), as ms-swift applies one: before the
 * chat template renders, the tools are written into the system message (or the first user message), each
 * assistant's tool calls into its text, and consecutive tool results into one user turn; completions are read back
 * with the agent template's call syntax. The assistant's calls are trained on as its answer is.
 */
public final class AgentChatTemplate implements ChatTemplate {

    private final ChatTemplate base;
    private final AgentFormat format;
    /** Whether the base template's generation prompt opens a think block, by template arguments. */
    private final Map<Map<String, Object>, Boolean> opensThinking = new ConcurrentHashMap<>();

    private AgentChatTemplate(ChatTemplate base, AgentFormat format) {
        this.base = base;
        this.format = format;
    }

    /**
     * {@code base} with the agent template {@code name}.
     *
     * @throws IllegalArgumentException naming {@code --agent_template} and the known names when there is none such
     */
    public static ChatTemplate wrap(ChatTemplate base, String name) {
        AgentFormat format = AgentFormats.find(name)
                .orElseThrow(() -> new IllegalArgumentException("--agent_template " + name + " is not known; known: "
                        + String.join(", ", AgentFormats.names())));
        return new AgentChatTemplate(base, format);
    }

    @Override
    public String name() {
        return base.name() + "+" + format.name();
    }

    @Override
    public String description() {
        return base.description() + ", tools as --agent_template " + format.name();
    }

    @Override
    public List<Segment> render(Conversation conversation, RenderOptions options) {
        return base.render(plain(conversation), options);
    }

    /** The conversation with its tools, calls and results written as text, as the agent template writes them. */
    Conversation plain(Conversation conversation) {
        List<ChatMessage> in = conversation.messages();
        List<ChatMessage> out = new ArrayList<>();
        boolean tools = !conversation.tools().isEmpty();
        boolean hasSystem = !in.isEmpty() && "system".equals(in.get(0).role());
        if (tools && !format.toolsInUser()) {
            String system = format.system(hasSystem ? in.get(0).text() : "", conversation.tools());
            out.add(ChatMessage.of("system", system));
        }
        boolean userDone = !tools || !format.toolsInUser();
        for (int i = hasSystem && tools && !format.toolsInUser() ? 1 : 0; i < in.size(); i++) {
            ChatMessage m = in.get(i);
            switch (m.role()) {
                case "assistant" -> {
                    if (m.toolCalls().isEmpty()) {
                        out.add(m);
                    } else {
                        String calls = format.calls(m.toolCalls());
                        String text = m.text().isEmpty() ? calls : m.text() + "\n" + calls;
                        out.add(new ChatMessage(
                                "assistant", List.of(ContentPart.text(text)), List.of(), "", m.reasoning()));
                    }
                }
                case "tool" -> {
                    List<String> results = new ArrayList<>();
                    while (i < in.size() && "tool".equals(in.get(i).role())) {
                        results.add(in.get(i).text());
                        i++;
                    }
                    i--;
                    out.add(ChatMessage.of("user", format.results(results)));
                }
                case "user" -> {
                    if (!userDone) {
                        out.add(new ChatMessage(
                                "user",
                                List.of(ContentPart.text(format.user(m.text(), conversation.tools()))),
                                List.of(),
                                "",
                                ""));
                        userDone = true;
                    } else {
                        out.add(m);
                    }
                }
                default -> out.add(m);
            }
        }
        return Conversation.of(out);
    }

    @Override
    public Set<String> stopStrings() {
        Set<String> stops = new HashSet<>(base.stopStrings());
        stops.addAll(format.stops());
        return stops;
    }

    @Override
    public List<ToolCall> parseToolCalls(String completion) {
        return parseCompletion(completion, true, RenderOptions.inference()).toolCalls();
    }

    @Override
    public ParsedCompletion parseCompletion(String completion, boolean finished, RenderOptions options) {
        boolean thinking = !base.thinkingEnd().isEmpty();
        boolean opens = thinking
                && opensThinking.computeIfAbsent(
                        options.templateArgs(), args -> CompletionSplitter.opensThinking(base, options));
        return new CompletionSplitter(thinking, opens, format).split(completion, finished);
    }

    @Override
    public String toolCallOpening(String function) {
        return format.opening(function);
    }

    @Override
    public String thinkingEnd() {
        return base.thinkingEnd();
    }
}
