package dev.osprey.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.ParsedCompletion;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.Segment;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.api.chat.ToolSpec;
import dev.osprey.chat.agent.AgentFormats;
import dev.osprey.chat.impl.ChatMlTemplate;
import dev.osprey.chat.impl.Llama3Template;
import dev.osprey.chat.impl.Qwen3Template;

/**
 * ms-swift's agent templates: rendered into plain turns they give what the models' own Jinja templates give for
 * tools, calls and results (hermes on Qwen2.5 and Qwen3), each one's calls read back from what it writes, and the
 * assistant's calls trained on per {@code --loss_scale}.
 */
class AgentTemplatesTest {

    static final ToolSpec WEATHER = new ToolSpec(
            "get_weather",
            "The weather in a city",
            "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}");
    static final ToolSpec TIME = new ToolSpec("get_time", "The time in a city", "{\"type\": \"object\"}");

    /** Two rounds: a user question, two parallel calls, their results, an answer, another question and a call. */
    static Conversation agentConversation(boolean system) {
        List<ChatMessage> ms = new java.util.ArrayList<>();
        if (system) {
            ms.add(ChatMessage.of("system", "You are a weather bot."));
        }
        ms.add(ChatMessage.of("user", "Weather and time in Paris?"));
        ms.add(new ChatMessage(
                "assistant",
                List.of(),
                List.of(
                        new ToolCall("call_1", "get_weather", "{\"city\": \"Paris\"}"),
                        new ToolCall("call_2", "get_time", "{\"city\": \"Paris\"}")),
                "",
                ""));
        ms.add(new ChatMessage("tool", List.of(ContentPart.text("{\"temp\": 21}")), List.of(), "call_1", ""));
        ms.add(new ChatMessage("tool", List.of(ContentPart.text("10:00")), List.of(), "call_2", ""));
        ms.add(ChatMessage.of("assistant", "21 degrees at 10:00."));
        ms.add(ChatMessage.of("user", "And Rome?"));
        ms.add(new ChatMessage(
                "assistant",
                List.of(ContentPart.text("Let me check.")),
                List.of(new ToolCall("call_3", "get_weather", "{\"city\": \"Rome\"}")),
                "",
                ""));
        return new Conversation(ms, List.of(WEATHER, TIME));
    }

    static String text(List<Segment> segments) {
        return segments.stream().map(Segment::text).collect(Collectors.joining());
    }

    static String trained(List<Segment> segments) {
        return segments.stream().filter(Segment::trainable).map(Segment::text).collect(Collectors.joining("|"));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void hermesOnChatmlRendersWhatQwen25sOwnTemplateRenders(boolean system) {
        ChatTemplate agent = AgentChatTemplate.wrap(new ChatMlTemplate(), "hermes");
        Conversation c = agentConversation(system);
        RenderOptions options = new RenderOptions(true, RenderOptions.ALL_ASSISTANT, Map.of("default_system", ""));
        String own = Fixtures.reference("qwen2_5").apply(c, true, Map.of());
        if (!system) {
            // Qwen2.5's template writes its default system text before the tools; ms-swift's qwen2_5 template does too
            options = new RenderOptions(true, RenderOptions.ALL_ASSISTANT, Map.of());
            c = withSystem(c, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
        }
        assertEquals(own, text(agent.render(c, options)));
    }

    @Test
    void hermesOnQwen3RendersWhatQwen3sOwnTemplateRenders() {
        ChatTemplate agent = AgentChatTemplate.wrap(new Qwen3Template(), "hermes");
        Conversation c = agentConversation(true);
        String own = Fixtures.reference("qwen3").apply(c, true, Map.of());
        assertEquals(own, text(agent.render(c, RenderOptions.inference())));
        // the built-in qwen3 template renders tools natively the same way
        assertEquals(own, text(new Qwen3Template().render(c, RenderOptions.inference())));
    }

    @Test
    void defaultLossScaleTrainsEveryAssistantTurnWithItsCallsAndLastRoundTheLastOnly() {
        ChatTemplate agent = AgentChatTemplate.wrap(new ChatMlTemplate(), "hermes");
        Conversation c = agentConversation(true);
        String all = trained(agent.render(c, RenderOptions.training()));
        assertEquals(
                "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
                        + "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"
                        + "<|im_end|>|21 degrees at 10:00.<|im_end|>|Let me check.\n<tool_call>\n{\"name\":"
                        + " \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call><|im_end|>",
                all);
        String last = trained(agent.render(c, new RenderOptions(false, RenderOptions.LAST_ROUND, Map.of())));
        assertEquals(
                "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}\n"
                        + "</tool_call><|im_end|>",
                last);
        assertFalse(trained(agent.render(c, RenderOptions.training())).contains("tool_response"));
    }

    /** Every agent template reads back the calls it writes, with the text before them as content. */
    @ParameterizedTest
    @ValueSource(strings = {"hermes", "react_en", "react_zh", "llama3", "llama4", "deepseek_v3_1", "glm4", "chatglm4"})
    void eachAgentTemplateReadsBackTheCallsItWrites(String name) {
        ChatTemplate agent = AgentChatTemplate.wrap(new Llama3Template(), name);
        var format = AgentFormats.find(name).orElseThrow();
        List<ToolCall> calls = List.of(
                new ToolCall("", "get_weather", "{\"city\": \"Paris\", \"days\": [1, 2]}"),
                new ToolCall("", "get_time", "{\"city\": \"Rome\"}"));
        String completion = "Thought: two lookups.\n" + format.calls(calls);
        ParsedCompletion parsed = agent.parseCompletion(completion, true, RenderOptions.inference());
        assertEquals(calls, parsed.toolCalls());
        assertEquals("Thought: two lookups.", parsed.content());
        // the system (or first user) turn describes the tools
        String prompt = text(agent.render(agentConversation(true), RenderOptions.inference()));
        assertTrue(prompt.contains("get_weather") && prompt.contains("The time in a city"), prompt);
        // forcing a call: the opening plus the arguments the model writes parse as that call
        String forced = format.opening("get_time") + "{\"city\": \"Oslo\"}"
                + switch (name) {
                    case "react_en", "react_zh" -> "\n";
                    case "hermes" -> "}\n</tool_call>";
                    case "llama3", "llama4" -> "}";
                    case "deepseek_v3_1" -> "<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
                    default -> ""; // glm4: the name line and the arguments
                };
        assertEquals(
                List.of(new ToolCall("", "get_time", "{\"city\": \"Oslo\"}")),
                agent.parseCompletion(forced, true, RenderOptions.inference()).toolCalls());
    }

    @Test
    void reactRendersToolsCallsAndObservationsAndStopsAtObservation() {
        ChatTemplate agent = AgentChatTemplate.wrap(new ChatMlTemplate(), "react_en");
        String prompt = text(agent.render(agentConversation(false), RenderOptions.inference()));
        assertTrue(prompt.contains("Answer the following questions as best you can. You have access to the following"
                + " tools:\n\nget_weather: Call this tool to interact with the get_weather API."));
        assertTrue(prompt.contains("Action: the action to take, should be one of [get_weather,get_time]"));
        assertTrue(
                prompt.contains("<|im_start|>assistant\nAction: get_weather\nAction Input: {\"city\": \"Paris\"}\n"
                        + "Action: get_time\nAction Input: {\"city\": \"Paris\"}\nObservation:<|im_end|>\n"
                        + "<|im_start|>user\nObservation: {\"temp\": 21}\nObservation: 10:00<|im_end|>"),
                prompt);
        assertTrue(agent.stopStrings().contains("Observation:"));
    }

    @Test
    void llama3PutsTheToolsBeforeTheFirstUserMessage() {
        ChatTemplate agent = AgentChatTemplate.wrap(new Llama3Template(), "llama3");
        String prompt = text(agent.render(agentConversation(true), RenderOptions.inference()));
        assertTrue(
                prompt.contains("<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please"
                        + " respond with a JSON for a function call"),
                prompt);
        assertTrue(prompt.contains("\"name\": \"get_weather\",\n"), prompt); // indent=4
        assertTrue(
                prompt.contains("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}\n"
                        + "{\"name\": \"get_time\", \"parameters\": {\"city\": \"Paris\"}}"),
                prompt);
    }

    @Test
    void glm4WritesNameAndArgumentsLinesAndHoldsBackItsLastTwoLinesWhileStreaming() {
        ChatTemplate agent = AgentChatTemplate.wrap(new ChatMlTemplate(), "glm4");
        String prompt = text(agent.render(agentConversation(true), RenderOptions.inference()));
        assertTrue(prompt.contains("# 可用工具\n\n## get_weather\n\n{\n    \"name\": \"get_weather\","), prompt);
        assertTrue(
                prompt.contains("get_weather\n{\"city\": \"Paris\"}<|assistant|>get_time\n{\"city\": \"Paris\"}"
                        + "<|observation|>"),
                prompt);
        String reply = "It is sunny.\nAsk me more.\nBye";
        assertEquals(
                "It is sunny.",
                agent.parseCompletion(reply, false, RenderOptions.inference()).content());
        assertEquals(
                reply,
                agent.parseCompletion(reply, true, RenderOptions.inference()).content());
    }

    @Test
    void qwen3CoderWritesXmlCallsAndReadsTheirValuesBackAsText() {
        ChatTemplate agent = AgentChatTemplate.wrap(new Qwen3Template(), "qwen3_coder");
        String prompt = text(agent.render(agentConversation(false), RenderOptions.inference()));
        assertTrue(
                prompt.startsWith("<|im_start|>system\nYou are Qwen, a helpful AI assistant that can interact with a"
                        + " computer to solve tasks.\n\n# Tools\n\nYou have access to the following functions:\n\n<tools>\n"
                        + "<function>\n<name>get_weather</name>\n<description>The weather in a city</description>\n"
                        + "<parameters>\n<parameter>\n<name>city</name>\n<type>string</type>\n</parameter>\n"
                        + "<required>[\"city\"]</required>\n</parameters>\n</function>\n"),
                prompt);
        assertTrue(
                prompt.contains("<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n"
                        + "</function>\n</tool_call>\n<tool_call>\n<function=get_time>"),
                prompt);
        String completion = "Checking.\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n"
                + "<parameter=days>\n2\n</parameter>\n</function>\n</tool_call>";
        ParsedCompletion p = agent.parseCompletion(completion, true, RenderOptions.inference());
        assertEquals("Checking.", p.content());
        assertEquals(List.of(new ToolCall("", "get_weather", "{\"city\": \"Paris\", \"days\": \"2\"}")), p.toolCalls());
        String forced = AgentFormats.find("qwen3_coder").orElseThrow().opening("get_time")
                + "<parameter=city>\nOslo\n</parameter>\n</function>\n</tool_call>";
        assertEquals(
                List.of(new ToolCall("", "get_time", "{\"city\": \"Oslo\"}")),
                agent.parseCompletion(forced, true, RenderOptions.inference()).toolCalls());
    }

    @Test
    void anUnknownAgentTemplateIsNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> AgentChatTemplate.wrap(new ChatMlTemplate(), "x"));
        assertTrue(
                e.getMessage().contains("--agent_template x") && e.getMessage().contains("hermes"), e.getMessage());
    }

    static Conversation withSystem(Conversation c, String system) {
        List<ChatMessage> ms = new java.util.ArrayList<>();
        ms.add(ChatMessage.of("system", system));
        ms.addAll(c.messages());
        return new Conversation(ms, c.tools());
    }
}
