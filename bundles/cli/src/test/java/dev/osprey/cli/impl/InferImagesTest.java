package dev.osprey.cli.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;

/** {@code osprey infer --images}: where the images go in the first question. */
class InferImagesTest {

    private static String abs(String file) {
        return Path.of(file).toAbsolutePath().normalize().toString();
    }

    @Test
    void tagsTakeTheImagesInOrderAndWithoutTagsTheyGoFirst() {
        ChatMessage tagged =
                InferCommand.userMessage("compare <image> and <image>?", List.of(Path.of("a.png"), Path.of("b.png")));
        assertEquals(
                List.of(
                        ContentPart.text("compare "),
                        ContentPart.image(abs("a.png")),
                        ContentPart.text(" and "),
                        ContentPart.image(abs("b.png")),
                        ContentPart.text("?")),
                tagged.content());
        ChatMessage untagged = InferCommand.userMessage("what is it?", List.of(Path.of("a.png")));
        assertEquals(List.of(ContentPart.image(abs("a.png")), ContentPart.text("what is it?")), untagged.content());
        assertEquals(ChatMessage.of("user", "hi"), InferCommand.userMessage("hi", List.of()));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> InferCommand.userMessage("<image> <image>", List.of(Path.of("a.png"))));
        assertEquals("the question has 2 <image> tags but --images gives 1 image(s)", e.getMessage());
    }
}
