package dev.osprey.model.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token ids from a folder's tokenizer files, in the order Hugging Face's tokenizer would find them. */
class TokenizerFilesTest {

    @TempDir
    Path folder;

    @Test
    void addedTokensComeFirstThenTheVocabulary() throws IOException {
        Files.writeString(folder.resolve("added_tokens.json"), "{\"<img>\": 92544}");
        Files.writeString(
                folder.resolve("tokenizer_config.json"),
                "{\"added_tokens_decoder\": {\"92546\": {\"content\": \"<IMG_CONTEXT>\", \"special\": true},"
                        + " \"7\": {\"content\": \"<img>\"}}}");
        Files.writeString(
                folder.resolve("tokenizer.json"),
                "{\"added_tokens\": [{\"id\": 3, \"content\": \"</img>\"}],"
                        + " \"model\": {\"type\": \"BPE\", \"vocab\": {\"\\n\\n\": 108, \"</img>\": 9}}}");
        assertEquals(OptionalLong.of(92544), TokenizerFiles.id(folder, "<img>"));
        assertEquals(OptionalLong.of(92546), TokenizerFiles.id(folder, "<IMG_CONTEXT>"));
        assertEquals(OptionalLong.of(3), TokenizerFiles.id(folder, "</img>"));
        assertEquals(OptionalLong.of(108), TokenizerFiles.id(folder, "\n\n"));
        assertEquals(OptionalLong.empty(), TokenizerFiles.id(folder, "<nope>"));
    }

    @Test
    void aUnigramVocabularyIsAListOfPieces() throws IOException {
        Files.writeString(
                folder.resolve("tokenizer.json"),
                "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"<pad>\", 0.0], [\"\\n\", -1.5]]}}");
        assertEquals(OptionalLong.of(1), TokenizerFiles.id(folder, "\n"));
    }

    @Test
    void aMissingTokenIsNamedWithTheFilesTried() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> TokenizerFiles.require(folder, "\n\n", "the image's newlines"));
        assertTrue(
                e.getMessage().contains("the image's newlines '\\n\\n' is in none of added_tokens.json"),
                e.getMessage());
    }

    @Test
    void anUnreadableFileIsNamed() throws IOException {
        Files.writeString(folder.resolve("tokenizer.json"), "{not json");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> TokenizerFiles.id(folder, "<img>"));
        assertTrue(e.getMessage().startsWith(folder.resolve("tokenizer.json").toString()), e.getMessage());
    }

    @Test
    void textIsEncodedByTheFoldersTokenizerWithItsAddedTokens() throws IOException {
        Files.writeString(
                folder.resolve("tokenizer.json"),
                "{\"version\": \"1.0\", \"added_tokens\": [{\"id\": 5, \"content\": \"<img>\", \"single_word\": false,"
                        + " \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}],"
                        + " \"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"},"
                        + " \"model\": {\"type\": \"WordLevel\", \"vocab\": {\"unk\": 0, \"Here\": 1, \"is\": 2, \"<img>\": 5},"
                        + " \"unk_token\": \"unk\"}}");
        assertArrayEquals(new int[] {1, 2, 5, 0}, TokenizerFiles.encode(folder, "Here is<img> there", "a test"));
    }

    @Test
    void encodingWithoutATokenizerNamesTheFile() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> TokenizerFiles.encode(folder, "Here", "the crops' text"));
        assertTrue(
                e.getMessage().equals(folder.resolve("tokenizer.json") + ": missing, needed to encode the crops' text"),
                e.getMessage());
    }
}
