package dev.osprey.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.Segment;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.chat.impl.ChatMlTemplate;
import dev.osprey.chat.impl.DeepSeekR1Template;
import dev.osprey.chat.impl.GemmaTemplate;
import dev.osprey.chat.impl.Llama2Template;
import dev.osprey.chat.impl.Llama3Template;
import dev.osprey.chat.impl.MistralTemplate;
import dev.osprey.chat.impl.Phi3Template;
import dev.osprey.chat.impl.Qwen3Template;

/** Each built-in template renders what the model family's real template renders, with the right trainable parts. */
class BuiltinTemplatesTest {

    /** built-in name → the family whose real template it follows. */
    static final Map<String, String> FAMILY = new LinkedHashMap<>();

    static final Map<String, ChatTemplate> BUILTIN = new LinkedHashMap<>();

    static {
        for (ChatTemplate t : List.of(
                new ChatMlTemplate(),
                new Qwen3Template(),
                new Llama3Template(),
                new Llama2Template(),
                new MistralTemplate(),
                new GemmaTemplate(),
                new Phi3Template(),
                new DeepSeekR1Template())) {
            BUILTIN.put(t.name(), t);
        }
        FAMILY.put("chatml", "qwen2_5");
        FAMILY.put("qwen3", "qwen3");
        FAMILY.put("llama3", "llama3_1");
        FAMILY.put("llama2", "llama2");
        FAMILY.put("mistral", "mistral");
        FAMILY.put("gemma", "gemma");
        FAMILY.put("phi3", "phi3");
        FAMILY.put("deepseek_r1", "deepseek_r1");
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        FAMILY.forEach((builtin, family) -> Fixtures.golden(family).fields().forEachRemaining(c -> {
            if (c.getValue().has("text")) {
                out.add(Arguments.of(builtin, c.getKey()));
            }
        }));
        return out.stream();
    }

    static RenderOptions options(String caseName, String scope) {
        return new RenderOptions(Fixtures.addGenerationPrompt(caseName), scope, Fixtures.kwargs(caseName));
    }

    static List<String> trainable(List<Segment> segments) {
        return segments.stream().filter(Segment::trainable).map(Segment::text).toList();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void rendersAsTheRealTemplate(String builtin, String caseName) {
        String family = FAMILY.get(builtin);
        Conversation c = Fixtures.conversation(caseName);
        String text = ChatEncoder.text(BUILTIN.get(builtin).render(c, options(caseName, RenderOptions.ALL_ASSISTANT)));
        String jinja =
                Fixtures.reference(family).apply(c, Fixtures.addGenerationPrompt(caseName), Fixtures.kwargs(caseName));
        assertEquals(jinja, text);
        assertEquals(Fixtures.golden(family).get(caseName).get("text").asText(), text);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void lossScopesKeepTheText(String builtin, String caseName) {
        ChatTemplate t = BUILTIN.get(builtin);
        Conversation c = Fixtures.conversation(caseName);
        String text = ChatEncoder.text(t.render(c, options(caseName, RenderOptions.ALL_ASSISTANT)));
        assertEquals(text, ChatEncoder.text(t.render(c, options(caseName, RenderOptions.LAST_ROUND))));
        List<Segment> all = t.render(c, options(caseName, RenderOptions.ALL));
        assertEquals(1, all.size());
        assertTrue(all.get(0).trainable());
        assertEquals(text, all.get(0).text());
    }

    static final String A1 = "I'm fine, thanks. How can I help?";
    static final String A2 = "2 + 2 = 4.";

    static Stream<Arguments> trainableParts() {
        return Stream.of(
                Arguments.of("chatml", List.of(A1 + "<|im_end|>", A2 + "<|im_end|>")),
                Arguments.of("qwen3", List.of(A1 + "<|im_end|>", "<think>\n\n</think>\n\n" + A2 + "<|im_end|>")),
                Arguments.of("llama3", List.of(A1 + "<|eot_id|>", A2 + "<|eot_id|>")),
                Arguments.of("llama2", List.of(" " + A1 + " </s>", " " + A2 + " </s>")),
                Arguments.of("mistral", List.of(A1 + "</s>", A2 + "</s>")),
                Arguments.of("gemma", List.of(A1 + "<end_of_turn>", A2 + "<end_of_turn>")),
                Arguments.of("phi3", List.of(A1 + "<|end|>", A2 + "<|end|>")),
                Arguments.of("deepseek_r1", List.of(A1 + "<｜end▁of▁sentence｜>", A2 + "<｜end▁of▁sentence｜>")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trainableParts")
    void trainsExactlyTheAnswersAndTheirEndOfTurn(String builtin, List<String> expected) {
        ChatTemplate t = BUILTIN.get(builtin);
        Conversation c = Fixtures.conversation("no_system");
        assertEquals(expected, trainable(t.render(c, RenderOptions.training())));
        assertEquals(
                List.of(expected.get(1)),
                trainable(t.render(c, new RenderOptions(false, RenderOptions.LAST_ROUND, Map.of()))));
        assertEquals(
                List.of(),
                trainable(t.render(Fixtures.conversation("gen_no_system"), RenderOptions.inference())).stream()
                        .filter(s -> !s.strip().startsWith(A1))
                        .toList());
    }

    @ParameterizedTest
    @ValueSource(strings = {"chatml", "qwen3", "llama3", "llama2", "mistral", "gemma", "phi3", "deepseek_r1"})
    void refusesAnUnknownRole(String builtin) {
        Conversation c = Conversation.of(List.of(ChatMessage.of("user", "hi"), ChatMessage.of("critic", "meh")));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> BUILTIN.get(builtin).render(c, RenderOptions.training()));
        assertTrue(
                e.getMessage().startsWith("message 1: role 'critic' is not supported by the " + builtin + " template"),
                e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama2", "mistral", "gemma"})
    void refusesRolesThatDoNotAlternate(String builtin) {
        Conversation c = Conversation.of(List.of(ChatMessage.of("user", "a"), ChatMessage.of("user", "b")));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> BUILTIN.get(builtin).render(c, RenderOptions.training()));
        assertTrue(
                e.getMessage().startsWith("message 1: the " + builtin + " template needs the roles to alternate"),
                e.getMessage());
        // the model's own template says so through raise_exception, naming the template
        IllegalArgumentException raised = assertThrows(
                IllegalArgumentException.class,
                () -> Fixtures.reference(FAMILY.get(builtin)).apply(c, false, Map.of()));
        assertEquals(
                "chat template '" + FAMILY.get(builtin) + "' raised: Conversation roles must alternate "
                        + "user/assistant/user/assistant/...",
                raised.getMessage());
    }

    @Test
    void mistralAndGemmaFoldTheSystemMessageIntoTheFirstUserTurn() {
        Conversation c = Fixtures.conversation("full");
        assertEquals(
                "<s>[INST] You are a terse assistant.\n\nHello, how are you? [/INST]" + A1
                        + "</s> [INST] What is 2+2? [/INST]" + "  2 + 2 = 4.  </s> ",
                ChatEncoder.text(BUILTIN.get("mistral").render(c, RenderOptions.training())));
        assertEquals(
                "<bos><start_of_turn>user\nYou are a terse assistant.\n\nHello, how are you?<end_of_turn>\n"
                        + "<start_of_turn>model\n" + A1
                        + "<end_of_turn>\n<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n"
                        + "<start_of_turn>model\n" + A2 + "<end_of_turn>\n",
                ChatEncoder.text(BUILTIN.get("gemma").render(c, RenderOptions.training())));
        // where the real templates refuse it
        assertEquals(
                "System role not supported",
                Fixtures.golden("gemma").get("full").get("error").asText());
        assertEquals(
                "Conversation roles must alternate user/assistant/user/assistant/...",
                Fixtures.golden("mistral").get("full").get("error").asText());
    }

    @Test
    void qwen3TrainsTheLastReasoningAndEnableThinkingFalseClosesTheThinkBlock() {
        ChatTemplate t = BUILTIN.get("qwen3");
        List<Segment> s = t.render(Fixtures.conversation("reasoning"), RenderOptions.training());
        assertEquals(
                List.of("4.<|im_end|>", "<think>\nThree plus three is six.\n</think>\n\n6.<|im_end|>"), trainable(s));
        String prompt = ChatEncoder.text(t.render(
                Fixtures.conversation("gen_no_system"),
                new RenderOptions(true, RenderOptions.ALL_ASSISTANT, Map.of("enable_thinking", false))));
        assertTrue(prompt.endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n"), prompt);
    }

    @Test
    void deepSeekKeepsOnlyTheFinalReasoning() {
        ChatTemplate t = BUILTIN.get("deepseek_r1");
        Conversation c = Conversation.of(List.of(
                ChatMessage.of("user", "2+2?"),
                new ChatMessage("assistant", List.of(ContentPart.text("4.")), List.of(), "", "add"),
                ChatMessage.of("user", "3+3?"),
                ChatMessage.of("assistant", "<think>\nthree and three\n</think>\n\n6.")));
        List<Segment> s = t.render(c, RenderOptions.training());
        assertEquals(
                "<｜begin▁of▁sentence｜><｜User｜>2+2?<｜Assistant｜>4.<｜end▁of▁sentence｜><｜User｜>3+3?"
                        + "<｜Assistant｜><think>\nthree and three\n</think>\n\n6.<｜end▁of▁sentence｜>",
                ChatEncoder.text(s));
        assertEquals(
                List.of("4.<｜end▁of▁sentence｜>", "three and three\n</think>\n\n6.<｜end▁of▁sentence｜>"), trainable(s));
        // keep_last_reasoning=false renders what the model's own template renders
        RenderOptions drop =
                new RenderOptions(false, RenderOptions.ALL_ASSISTANT, Map.of("keep_last_reasoning", false));
        assertEquals(Fixtures.reference("deepseek_r1").apply(c, false, Map.of()), ChatEncoder.text(t.render(c, drop)));
    }

    @Test
    void llama3RefusesTwoToolCallsInOneTurn() {
        ToolCall call = new ToolCall("1", "f", "{}");
        Conversation c = Conversation.of(List.of(
                ChatMessage.of("user", "x"), new ChatMessage("assistant", List.of(), List.of(call, call), "", "")));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> BUILTIN.get("llama3").render(c, RenderOptions.training()));
        assertTrue(
                e.getMessage().startsWith("message 1: the llama3 template supports a single tool call"),
                e.getMessage());
    }

    @Test
    void chatmlDefaultSystemCanBeReplaced() {
        Conversation c = Conversation.of(List.of(ChatMessage.of("user", "hi")));
        assertEquals(
                "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n",
                ChatEncoder.text(BUILTIN.get("chatml")
                        .render(
                                c,
                                new RenderOptions(
                                        false, null, Map.of("default_system", "You are a helpful assistant.")))));
    }

    @Test
    void mediaBecomesMediaSegments() {
        Conversation c = Conversation.of(List.of(new ChatMessage(
                "user", List.of(ContentPart.image("cat.png"), ContentPart.text("What is this?")), List.of(), "", "")));
        List<Segment> s = BUILTIN.get("chatml").render(c, RenderOptions.inference());
        assertEquals(1, s.stream().filter(x -> Segment.MEDIA.equals(x.kind())).count());
    }

    @Test
    void jinjaTemplateMarksTheAssistantTurns() {
        JinjaChatTemplate t = Fixtures.reference("qwen2_5");
        List<Segment> s = t.render(Fixtures.conversation("no_system"), RenderOptions.training());
        assertEquals(List.of(A1 + "<|im_end|>", A2 + "<|im_end|>"), trainable(s));
        assertEquals(Fixtures.golden("qwen2_5").get("no_system").get("text").asText(), ChatEncoder.text(s));
        JsonNode golden = Fixtures.golden("llama3_1").get("no_system");
        List<Segment> l = Fixtures.reference("llama3_1")
                .render(
                        Fixtures.conversation("no_system"),
                        new RenderOptions(false, RenderOptions.LAST_ROUND, Map.of()));
        assertEquals(List.of(A2 + "<|eot_id|>"), trainable(l));
        assertEquals(golden.get("text").asText(), ChatEncoder.text(l));
    }
}
