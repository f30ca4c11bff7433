package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.osprey.api.chat.ParsedCompletion;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.chat.JinjaChatTemplate;

/**
 * Completions a model writes, read back through the test checkpoint's own chat template as the server reads them:
 * whole, and streamed in pieces (thinking and content deltas adding up to the whole, each call sent once with its
 * id, parallel calls in order, {@code parallel_tool_calls: false} keeping the first).
 */
class ChatReaderTest {

    static final JinjaChatTemplate TEMPLATE =
            JinjaChatTemplate.of("test", ByteLevelCheckpoint.TEMPLATE, Map.of("eos_token", "<|im_end|>"));

    /** What the model writes after the generation prompt's {@code <think>\n}. */
    static final String COMPLETION = "The user wants Paris and Rome.\n</think>\n\nLooking both up.\n<tool_call>\n"
            + "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n"
            + "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call>";

    static CompletionRequest.ChatOptions options(String choice, boolean parallel) {
        return new CompletionRequest.ChatOptions(choice, null, parallel, Map.of(), -1);
    }

    @Test
    void aWholeCompletionSplitsIntoReasoningContentAndCalls() {
        ChatReader reader = new ChatReader(TEMPLATE, options(CompletionRequest.AUTO, true));
        ParsedCompletion p = reader.choice().read(COMPLETION, true);
        assertEquals("The user wants Paris and Rome.", p.reasoning());
        assertEquals("Looking both up.", p.content());
        assertEquals(
                List.of(
                        new ToolCall("", "get_weather", "{\"city\": \"Paris\"}"),
                        new ToolCall("", "get_weather", "{\"city\": \"Rome\"}")),
                p.toolCalls());
        ParsedCompletion first = new ChatReader(TEMPLATE, options(CompletionRequest.AUTO, false))
                .choice()
                .read(COMPLETION, true);
        assertEquals(1, first.toolCalls().size());
    }

    @Test
    void streamedPiecesAddUpToTheWholeAndEachCallIsSentOnce() {
        for (int piece : new int[] {1, 3, 7, 50}) {
            ChatReader.Choice choice = new ChatReader(TEMPLATE, options(CompletionRequest.AUTO, true)).choice();
            StringBuilder reasoning = new StringBuilder();
            StringBuilder content = new StringBuilder();
            List<ChatReader.SentCall> calls = new ArrayList<>();
            for (int end = piece; ; end += piece) {
                boolean last = end >= COMPLETION.length();
                ChatReader.Delta d = choice.next(COMPLETION.substring(0, Math.min(end, COMPLETION.length())), last);
                if (d != null) {
                    reasoning.append(d.reasoning());
                    content.append(d.content());
                    calls.addAll(d.calls());
                }
                if (last) {
                    break;
                }
            }
            assertEquals("The user wants Paris and Rome.", reasoning.toString(), "pieces of " + piece);
            assertEquals("Looking both up.", content.toString(), "pieces of " + piece);
            assertEquals(2, calls.size());
            assertEquals(0, calls.get(0).index());
            assertEquals(1, calls.get(1).index());
            assertTrue(calls.get(0).id().startsWith("call_")
                    && !calls.get(0).id().equals(calls.get(1).id()));
            assertEquals("{\"city\": \"Rome\"}", calls.get(1).call().argumentsJson());
            assertNull(choice.next(COMPLETION, true), "nothing new once all was sent");
        }
    }

    @Test
    void aForcedFunctionWhoseCallDoesNotCloseTakesWhatTheModelWroteAsArguments() {
        ChatReader reader = new ChatReader(
                TEMPLATE,
                new CompletionRequest.ChatOptions(CompletionRequest.FUNCTION, "get_weather", true, Map.of(), -1));
        // the template's generation prompt opened the thinking: the forced call comes after closing it
        assertEquals("\n</think>\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ", reader.answerPrefix());
        ParsedCompletion closed = reader.choice().read("{\"city\": \"Oslo\"}}\n</tool_call>", true);
        assertEquals(List.of(new ToolCall("", "get_weather", "{\"city\": \"Oslo\"}")), closed.toolCalls());
        ParsedCompletion cut = reader.choice().read("{\"city\": \"Os", true);
        assertEquals(List.of(new ToolCall("", "get_weather", "{\"city\": \"Os")), cut.toolCalls());
        assertEquals("", cut.content());
    }
}
