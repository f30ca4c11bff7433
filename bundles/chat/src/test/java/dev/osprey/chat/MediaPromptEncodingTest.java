package dev.osprey.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.MediaInput;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.chat.RenderOptions;

/** A multimodal model's own chat template (Qwen2-VL's) with image and video parts, split at its placeholders. */
class MediaPromptEncodingTest {

    /** Qwen2-VL-7B-Instruct's chat_template, as its tokenizer_config.json has it. */
    static final String QWEN2_VL =
            "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
                    + "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n"
                    + "You are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n"
                    + "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
                    + "{% else %}{% for content in message['content'] %}"
                    + "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
                    + "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: "
                    + "{% endif %}<|vision_start|><|image_pad|><|vision_end|>"
                    + "{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}"
                    + "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
                    + "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
                    + "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    private static HuggingFaceTokenizer bpe;

    @BeforeAll
    static void tokenizer(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bpe.json");
        Files.writeString(file, Fixtures.JSON.writeValueAsString(ChatEncoderTest.byteLevelBpe()));
        bpe = HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false"));
    }

    @AfterAll
    static void close() {
        bpe.close();
    }

    private static final Map<String, String> PLACEHOLDERS = Map.of("image", "<|image_pad|>", "video", "<|video_pad|>");

    private static ChatPromptEncoder encoder(boolean multimodal) {
        ChatPromptEncoder text = new ChatPromptEncoder(
                JinjaChatTemplate.of("qwen2-vl", QWEN2_VL, Map.of()),
                PromptEncoder.FROM_TOKENIZER_CONFIG,
                null,
                new ChatEncoder(bpe),
                OptionalInt.empty(),
                false);
        return multimodal ? text.withMediaPlaceholders(PLACEHOLDERS) : text;
    }

    private static Conversation withImages() {
        return Conversation.of(List.of(
                new ChatMessage(
                        "user",
                        List.of(
                                ContentPart.image("cat.png"),
                                ContentPart.text("what is this"),
                                new ContentPart(ContentPart.VIDEO, "clip/"),
                                ContentPart.image("dog.png")),
                        List.of(),
                        "",
                        ""),
                ChatMessage.of("assistant", "a cat")));
    }

    @Test
    void eachPartSitsWhereItsPlaceholderWas() {
        ChatPromptEncoder prompts = encoder(true);
        ChatEncoder words = new ChatEncoder(bpe);
        EncodedPrompt e = prompts.encode(withImages(), new RenderOptions(false, RenderOptions.ALL_ASSISTANT, Map.of()));
        assertEquals(3, e.media().size());
        String before =
                "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|>";
        int first = words.tokenize(before).length;
        assertEquals(
                new MediaInput(first, ContentPart.image("cat.png")), e.media().get(0));
        int second = first + words.tokenize("<|vision_end|>what is this<|vision_start|>").length;
        assertEquals(
                new MediaInput(second, new ContentPart(ContentPart.VIDEO, "clip/")),
                e.media().get(1));
        int third = second + words.tokenize("<|vision_end|><|vision_start|>").length;
        assertEquals(
                new MediaInput(third, ContentPart.image("dog.png")), e.media().get(2));
        // the ids are the rendered text's without the placeholders, and the answer is still trained on
        String rendered = JinjaChatTemplate.of("qwen2-vl", QWEN2_VL, Map.of())
                .apply(withImages(), false, Map.of())
                .replace("<|image_pad|>", "")
                .replace("<|video_pad|>", "");
        assertArrayEquals(words.tokenize(rendered), e.inputIds());
        assertTrue(e.trainedTokens() > 0);
        assertEquals(e.length(), e.inputIds().length);
    }

    @Test
    void aTextOnlyModelRefusesAnImagePart() {
        IllegalArgumentException ex = assertThrows(
                IllegalArgumentException.class, () -> encoder(false).forGeneration(withImages(), Map.of()));
        assertTrue(ex.getMessage().contains("text-only") && ex.getMessage().contains("image"), ex.getMessage());
    }

    @Test
    void aPartOfATypeWithoutPlaceholderIsNamed() {
        ChatPromptEncoder imagesOnly = encoder(false).withMediaPlaceholders(Map.of("image", "<|image_pad|>"));
        IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> imagesOnly.forGeneration(withImages(), Map.of()));
        assertTrue(ex.getMessage().contains("no video input") && ex.getMessage().contains("clip/"), ex.getMessage());
    }

    @Test
    void aTemplateWithoutPlaceholdersIsAnError() {
        ChatPromptEncoder plain = new ChatPromptEncoder(
                        JinjaChatTemplate.of(
                                "plain",
                                "{% for m in messages %}{{ m['role'] }}: {% if m['content'] is string %}"
                                        + "{{ m['content'] }}{% endif %}\n{% endfor %}",
                                Map.of()),
                        PromptEncoder.FROM_TOKENIZER_CONFIG,
                        null,
                        new ChatEncoder(bpe),
                        OptionalInt.empty(),
                        false)
                .withMediaPlaceholders(PLACEHOLDERS);
        IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> plain.forGeneration(withImages(), Map.of()));
        assertTrue(ex.getMessage().contains("wrote 0 <|image_pad|>"), ex.getMessage());
    }
}
