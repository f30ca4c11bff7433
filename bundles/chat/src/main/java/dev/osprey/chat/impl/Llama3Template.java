package dev.osprey.chat.impl;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.Segment;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.chat.JinjaChatTemplate;

/**
 * Llama 3.1's template (Llama 3.2 text models share it): {@code <|begin_of_text|>}, a system turn that is
 * always there with "Cutting Knowledge Date: December 2023" and "Today Date: " + {@code date_string}
 * (template argument, default "26 Jul 2024" as the 3.1 template has it), the system message trimmed
 * after it; turns as {@code <|start_header_id|>role<|end_header_id|>\n\n} + trimmed content +
 * {@code <|eot_id|>}; tools in the first user turn ({@code tools_in_user_message}, default true) or
 * the system turn; a single JSON tool call per assistant turn; tool results as {@code ipython} turns.
 */
@Component(service = ChatTemplate.class)
public class Llama3Template extends BuiltinTemplate {

    static final String BOS = "<|begin_of_text|>";
    private static final String FORMAT = "Respond in the format {\"name\": function name, \"parameters\": dictionary "
            + "of argument name and its value}.Do not use variables.\n\n";

    @Override
    public String name() {
        return "llama3";
    }

    @Override
    public String description() {
        return "Llama 3.1 / 3.2 (<|start_header_id|>role<|end_header_id|> ... <|eot_id|>)";
    }

    @Override
    protected Set<String> stops() {
        return Set.of("<|eot_id|>", "<|eom_id|>");
    }

    private static String header(String role) {
        return "<|start_header_id|>" + role + "<|end_header_id|>\n\n";
    }

    @Override
    public List<Segment> render(Conversation conversation, RenderOptions options) {
        List<ChatMessage> all = conversation.messages();
        Out out = out(options);
        String date = String.valueOf(templateArg(options, "date_string", "26 Jul 2024"));
        boolean toolsInUser = !Boolean.FALSE.equals(options.templateArgs().get("tools_in_user_message"));
        boolean tools = !conversation.tools().isEmpty();
        int start = 0;
        String system = "";
        if (!all.isEmpty() && "system".equals(all.get(0).role())) {
            system = trim(all.get(0).text());
            start = 1;
        }
        StringBuilder sys = new StringBuilder(BOS).append(header("system"));
        if (tools) {
            sys.append("Environment: ipython\n");
        }
        sys.append("Cutting Knowledge Date: December 2023\n")
                .append("Today Date: ")
                .append(date)
                .append("\n\n");
        if (tools && !toolsInUser) {
            sys.append("You have access to the following functions. To call a function, please respond with JSON for "
                            + "a function call.")
                    .append(FORMAT);
            appendTools(sys, conversation);
        }
        out.prompt(sys.append(system).append("<|eot_id|>").toString());
        if (tools && toolsInUser) {
            if (start >= all.size()) {
                throw new IllegalArgumentException("the " + name() + " template puts the tools in the first user "
                        + "message, and the conversation has none");
            }
            StringBuilder user = new StringBuilder(header("user"))
                    .append("Given the following functions, please respond with a JSON for a function call ")
                    .append("with its proper arguments that best answers the given prompt.\n\n")
                    .append(FORMAT);
            appendTools(user, conversation);
            out.prompt(user.append(trim(all.get(start).text()))
                    .append("<|eot_id|>")
                    .toString());
            start++;
        }
        for (int i = start; i < all.size(); i++) {
            ChatMessage m = all.get(i);
            switch (m.role()) {
                case "system", "user" -> out.prompt(header(m.role())).media(m).prompt(trim(m.text()) + "<|eot_id|>");
                case "assistant" -> {
                    boolean t = trains(options, all, i);
                    if (m.toolCalls().isEmpty()) {
                        out.prompt(header("assistant")).add(trim(m.text()) + "<|eot_id|>", t);
                    } else {
                        if (m.toolCalls().size() != 1) {
                            throw new IllegalArgumentException("message " + i + ": the " + name()
                                    + " template supports a single tool call per turn, this one has "
                                    + m.toolCalls().size());
                        }
                        ToolCall call = m.toolCalls().get(0);
                        out.prompt(header("assistant"))
                                .add(
                                        "{\"name\": \"" + call.name() + "\", \"parameters\": " + argumentsJson(call)
                                                + "}<|eot_id|>",
                                        t);
                    }
                }
                case "tool", "ipython" -> out.prompt(header("ipython") + PyJson.dumps(m.text()) + "<|eot_id|>");
                default -> throw unsupportedRole(i, m, "system, user, assistant, tool, ipython");
            }
        }
        if (options.addGenerationPrompt()) {
            out.prompt(header("assistant"));
        }
        return out.build();
    }

    private static void appendTools(StringBuilder b, Conversation conversation) {
        for (Map<String, Object> tool : JinjaChatTemplate.toHfTools(conversation.tools())) {
            b.append(PyJson.dumps(tool, 4)).append("\n\n");
        }
    }
}
