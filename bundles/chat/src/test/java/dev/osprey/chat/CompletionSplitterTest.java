package dev.osprey.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.osprey.api.chat.ParsedCompletion;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.chat.impl.ChatMlTemplate;
import dev.osprey.chat.impl.DeepSeekR1Template;
import dev.osprey.chat.impl.Llama3Template;
import dev.osprey.chat.impl.Qwen3Template;

/**
 * Completions split into reasoning, content and tool calls as vLLM's qwen3 / deepseek_r1 reasoning parsers and its
 * hermes tool parser split them, whole and character by character as a stream sees them.
 */
class CompletionSplitterTest {

    static final String QWEN3 = "<think>\nThe user wants weather.\n</think>\n\nChecking.\n<tool_call>\n"
            + "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n"
            + "{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";

    @Test
    void qwen3ThinkingContentAndParallelCalls() {
        ParsedCompletion p = new Qwen3Template().parseCompletion(QWEN3, true, RenderOptions.inference());
        assertEquals("The user wants weather.", p.reasoning());
        assertEquals("Checking.", p.content());
        assertEquals(
                List.of(new ToolCall("", "get_weather", "{\"city\": \"Paris\"}"), new ToolCall("", "get_time", "{}")),
                p.toolCalls());
        assertTrue(p.reasoningEnded());
    }

    @Test
    void eachPrefixOfAStreamExtendsTheLastSplit() {
        for (var template : List.of(new Qwen3Template(), new ChatMlTemplate(), new DeepSeekR1Template())) {
            String text = template instanceof DeepSeekR1Template ? QWEN3.substring("<think>".length()) : QWEN3;
            ParsedCompletion last = ParsedCompletion.text("");
            for (int i = 0; i <= text.length(); i++) {
                ParsedCompletion p = template.parseCompletion(text.substring(0, i), false, RenderOptions.inference());
                assertTrue(p.reasoning().startsWith(last.reasoning()), template.name() + " at " + i);
                assertTrue(p.content().startsWith(last.content()), template.name() + " at " + i + ": " + p);
                assertEquals(
                        last.toolCalls(),
                        p.toolCalls().subList(0, last.toolCalls().size()));
                last = p;
            }
            ParsedCompletion whole = template.parseCompletion(text, true, RenderOptions.inference());
            assertTrue(whole.content().startsWith(last.content()), template.name());
            assertTrue(whole.reasoning().startsWith(last.reasoning()), template.name());
        }
    }

    @Test
    void contentHoldsBackAPartialCallMarkerWhileStreaming() {
        var t = new ChatMlTemplate();
        assertEquals(
                "Hi",
                t.parseCompletion("Hi\n<tool_", false, RenderOptions.inference())
                        .content());
        assertEquals(
                "Hi\n<tool_",
                t.parseCompletion("Hi\n<tool_", true, RenderOptions.inference()).content());
        // an unclosed call holds back until it closes
        ParsedCompletion open = t.parseCompletion(
                "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}", false, RenderOptions.inference());
        assertEquals(List.of(), open.toolCalls());
        assertEquals("", open.content());
    }

    @Test
    void deepSeekR1ThinksFromTheStartAndAnUnendedThoughtIsAllReasoning() {
        var t = new DeepSeekR1Template();
        ParsedCompletion p = t.parseCompletion("Let me think.\n</think>\n\nParis.", true, RenderOptions.inference());
        assertEquals("Let me think.", p.reasoning());
        assertEquals("Paris.", p.content());
        ParsedCompletion cut = t.parseCompletion("Still thinking", true, RenderOptions.inference());
        assertEquals("Still thinking", cut.reasoning());
        assertEquals("", cut.content());
        assertFalse(cut.reasoningEnded());
    }

    @Test
    void qwen3WithoutThinkIsContentAndTemplatesWithoutThinkingKeepThinkTags() {
        assertEquals(
                "Hello.",
                new Qwen3Template()
                        .parseCompletion(
                                "Hello.",
                                true,
                                new RenderOptions(true, "all_assistant", Map.of("enable_thinking", false)))
                        .content());
        assertEquals(
                "<think>x</think>y",
                new Llama3Template()
                        .parseCompletion("<think>x</think>y", true, RenderOptions.inference())
                        .content());
    }

    @Test
    void jinjaTemplatesReadTheSyntaxTheirSourceWrites() {
        var qwen3 = Fixtures.reference("qwen3");
        ParsedCompletion p = qwen3.parseCompletion(QWEN3, true, RenderOptions.inference());
        assertEquals("The user wants weather.", p.reasoning());
        assertEquals(2, p.toolCalls().size());
        assertEquals("<tool_call>\n{\"name\": \"f\", \"arguments\": ", qwen3.toolCallOpening("f"));
        assertEquals("</think>", qwen3.thinkingEnd());
        // DeepSeek-R1's own template opens the think block in its generation prompt
        var r1 = Fixtures.reference("deepseek_r1");
        assertEquals(
                "a",
                r1.parseCompletion("a</think>b", true, RenderOptions.inference())
                        .reasoning());
        assertEquals("", Fixtures.reference("llama3_1").toolCallOpening("f"));
    }
}
