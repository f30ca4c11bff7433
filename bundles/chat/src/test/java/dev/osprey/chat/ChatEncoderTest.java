package dev.osprey.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.Segment;
import dev.osprey.chat.impl.ChatMlTemplate;

/** Segment-wise tokenization equals whole-text tokenization, and labels cover exactly the trainable tokens. */
class ChatEncoderTest {

    /** Every special token the eight templates write. */
    static final List<String> SPECIAL = List.of(
            "<|im_start|>",
            "<|im_end|>",
            "<|begin_of_text|>",
            "<|start_header_id|>",
            "<|end_header_id|>",
            "<|eot_id|>",
            "<|eom_id|>",
            "<s>",
            "</s>",
            "<bos>",
            "<eos>",
            "<start_of_turn>",
            "<end_of_turn>",
            "<|user|>",
            "<|assistant|>",
            "<|system|>",
            "<|end|>",
            "<|endoftext|>",
            "<｜begin▁of▁sentence｜>",
            "<｜end▁of▁sentence｜>",
            "<｜User｜>",
            "<｜Assistant｜>",
            "<think>",
            "</think>",
            "<tool_call>",
            "</tool_call>",
            "<tool_response>",
            "</tool_response>");

    static final String QWEN_SPLIT =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    static HuggingFaceTokenizer bpe;
    static HuggingFaceTokenizer words;

    @BeforeAll
    static void tokenizers(@TempDir Path dir) throws IOException {
        bpe = HuggingFaceTokenizer.newInstance(
                write(dir.resolve("bpe.json"), byteLevelBpe()), Map.of("truncation", "false"));
        words = HuggingFaceTokenizer.newInstance(
                write(dir.resolve("words.json"), wordLevel()), Map.of("truncation", "false"));
    }

    @AfterAll
    static void close() {
        bpe.close();
        words.close();
    }

    private static Path write(Path file, Map<String, Object> json) throws IOException {
        Files.writeString(file, Fixtures.JSON.writeValueAsString(json));
        return file;
    }

    /** GPT-2's byte-to-character table. */
    static char[] byteChars() {
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) {
            bs.add(b);
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            bs.add(b);
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            bs.add(b);
        }
        char[] table = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            table[b] = bs.contains(b) ? (char) b : (char) (256 + n++);
        }
        return table;
    }

    private static List<Map<String, Object>> addedTokens(int firstId) {
        List<Map<String, Object>> added = new ArrayList<>();
        for (int i = 0; i < SPECIAL.size(); i++) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("id", firstId + i);
            t.put("content", SPECIAL.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
            added.add(t);
        }
        return added;
    }

    /** A byte-level BPE (Qwen2's pre-tokenizer) whose merges glue a space to the letter after it, and a few more. */
    static Map<String, Object> byteLevelBpe() {
        char[] table = byteChars();
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(table[b]), vocab.size());
        }
        List<String> merges = new ArrayList<>();
        String space = String.valueOf(table[' ']);
        String newline = String.valueOf(table['\n']);
        for (char c = 'a'; c <= 'z'; c++) {
            merges.add(space + " " + c);
            merges.add(space + " " + Character.toUpperCase(c));
        }
        merges.addAll(List.of("h e", "i s", "l l", "o u", "a t", "t h", newline + " " + newline, "' m"));
        for (String m : merges) {
            vocab.putIfAbsent(m.replace(" ", ""), vocab.size());
        }
        Map<String, Object> byteLevel = new LinkedHashMap<>(
                Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false, "use_regex", false));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("vocab", vocab);
        model.put("merges", merges);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", "1.0");
        json.put("truncation", null);
        json.put("padding", null);
        json.put("added_tokens", addedTokens(vocab.size()));
        json.put("normalizer", null);
        json.put(
                "pre_tokenizer",
                Map.of(
                        "type",
                        "Sequence",
                        "pretokenizers",
                        List.of(
                                Map.of(
                                        "type",
                                        "Split",
                                        "pattern",
                                        Map.of("Regex", QWEN_SPLIT),
                                        "behavior",
                                        "Isolated",
                                        "invert",
                                        false),
                                byteLevel)));
        json.put("post_processor", null);
        json.put("decoder", byteLevel);
        json.put("model", model);
        return json;
    }

    /** A word-level tokenizer splitting on whitespace. */
    static Map<String, Object> wordLevel() {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String w : List.of("[UNK]", "system", "user", "assistant", "hello", "hi", "there", "bye")) {
            vocab.put(w, vocab.size());
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", "1.0");
        json.put("truncation", null);
        json.put("padding", null);
        json.put("added_tokens", addedTokens(vocab.size()));
        json.put("normalizer", null);
        json.put("pre_tokenizer", Map.of("type", "WhitespaceSplit"));
        json.put("post_processor", null);
        json.put("decoder", null);
        json.put("model", Map.of("type", "WordLevel", "vocab", vocab, "unk_token", "[UNK]"));
        return json;
    }

    static Stream<Arguments> cases() {
        return BuiltinTemplatesTest.cases();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void segmentIdsEqualWholeTextIds(String builtin, String caseName) {
        ChatEncoder encoder = new ChatEncoder(bpe);
        List<Segment> segments = BuiltinTemplatesTest.BUILTIN
                .get(builtin)
                .render(
                        Fixtures.conversation(caseName),
                        BuiltinTemplatesTest.options(caseName, RenderOptions.ALL_ASSISTANT));
        ChatEncoder.Encoded e = encoder.encode(segments);
        assertArrayEquals(encoder.tokenize(ChatEncoder.text(segments)), e.inputIds());
        // labels: the ids of the trainable segments, in place; -100 elsewhere
        int at = 0;
        for (Segment s : segments) {
            int[] ids = encoder.tokenize(s.text());
            for (int id : ids) {
                assertEquals(s.trainable() ? id : ChatEncoder.IGNORE_INDEX, e.labels()[at++], builtin + " " + caseName);
            }
        }
        assertEquals(e.length(), at);
    }

    /** Training rows with tools under --agent_template: the assistant's calls are labelled, the tool results not. */
    @Test
    void anAgentTemplateTrainsTheAssistantsCallsAndNotTheToolResults() {
        ChatPromptEncoder prompts = new ChatPromptEncoder(
                        new ChatMlTemplate(),
                        PromptEncoder.FROM_ARGUMENT,
                        null,
                        new ChatEncoder(bpe),
                        OptionalInt.empty(),
                        false)
                .withAgentTemplate("react_en");
        for (String scope : List.of(RenderOptions.ALL_ASSISTANT, RenderOptions.LAST_ROUND)) {
            EncodedPrompt e = prompts.forTraining(AgentTemplatesTest.agentConversation(true), scope);
            List<String> runs = new ArrayList<>();
            List<Long> run = new ArrayList<>();
            for (int i = 0; i <= e.length(); i++) {
                if (i < e.length() && e.labels()[i] != EncodedPrompt.IGNORE_INDEX) {
                    run.add((long) e.labels()[i]);
                } else if (!run.isEmpty()) {
                    runs.add(bpe.decode(run.stream().mapToLong(Long::longValue).toArray(), false));
                    run.clear();
                }
            }
            String lastCall =
                    "Let me check.\nAction: get_weather\nAction Input: {\"city\": \"Rome\"}\nObservation:<|im_end|>";
            if (scope.equals(RenderOptions.LAST_ROUND)) {
                assertEquals(List.of(lastCall), runs);
            } else {
                assertEquals(
                        List.of(
                                "Action: get_weather\nAction Input: {\"city\": \"Paris\"}\nAction: get_time\n"
                                        + "Action Input: {\"city\": \"Paris\"}\nObservation:<|im_end|>",
                                "21 degrees at 10:00.<|im_end|>",
                                lastCall),
                        runs);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> prompts.withAgentTemplate("nope"));
    }

    @Test
    void specialTokensAreSingleIds() {
        ChatEncoder encoder = new ChatEncoder(bpe);
        for (String t : SPECIAL) {
            assertEquals(1, encoder.tokenize(t).length, t);
        }
        // the tokenizer really merges a space into the next word, so segment boundaries there would show
        assertEquals(1, encoder.tokenize(" I").length);
    }

    @Test
    void lossMaskCoversExactlyTheAssistantTokens() {
        ChatEncoder encoder = new ChatEncoder(words);
        Conversation c = Conversation.of(List.of(
                ChatMessage.of("system", "system"),
                ChatMessage.of("user", "hello"),
                ChatMessage.of("assistant", "hi there"),
                ChatMessage.of("user", "bye"),
                ChatMessage.of("assistant", "bye")));
        ChatEncoder.Encoded e = encoder.encode(new ChatMlTemplate().render(c, RenderOptions.training()));
        int imStart = 8;
        int imEnd = 9;
        // <|im_start|> system system <|im_end|> <|im_start|> user hello <|im_end|> <|im_start|> assistant hi there
        // <|im_end|>
        // <|im_start|> user bye <|im_end|> <|im_start|> assistant bye <|im_end|>
        assertArrayEquals(
                new int[] {
                    imStart, 1, 1, imEnd, imStart, 2, 4, imEnd, imStart, 3, 5, 6, imEnd, imStart, 2, 7, imEnd, imStart,
                    3, 7, imEnd
                },
                e.inputIds());
        int x = ChatEncoder.IGNORE_INDEX;
        assertArrayEquals(
                new int[] {x, x, x, x, x, x, x, x, x, x, 5, 6, imEnd, x, x, x, x, x, x, 7, imEnd}, e.labels());
        assertEquals(5, e.trainedTokens());
        ChatEncoder.Encoded last = encoder.encode(
                new ChatMlTemplate().render(c, new RenderOptions(false, RenderOptions.LAST_ROUND, Map.of())));
        assertEquals(2, last.trainedTokens());
    }

    @Test
    void tokenSegmentsAreTakenAsTheyAre() {
        ChatEncoder encoder = new ChatEncoder(words);
        ChatEncoder.Encoded e =
                encoder.encode(List.of(Segment.tokens(new int[] {7, 8}, false), Segment.text("hi", true)));
        assertArrayEquals(new int[] {7, 8, 5}, e.inputIds());
        assertArrayEquals(new int[] {-100, -100, 5}, e.labels());
    }

    @Test
    void mediaNeedsAMultimodalModelBundle() {
        ChatEncoder encoder = new ChatEncoder(words);
        IllegalArgumentException ex = assertThrows(
                IllegalArgumentException.class,
                () -> encoder.encode(List.of(Segment.text("hi", false), Segment.media(ContentPart.image("cat.png")))));
        assertTrue(ex.getMessage().contains("multimodal input needs a multimodal model bundle"), ex.getMessage());
    }
}
