package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.itest.ChildProcess.Result;

/**
 * {@code osprey infer --images} on the tiny InternVL (both formats), PaliGemma and Gemma 3 (their weights with the
 * prompt fixtures' processor, tokenizer and template, tools/make-vl-prompt-fixtures.py): the question with two
 * {@code <image>} tags and two PNG files is answered with the greedy tokens of the family's own code (OpenGVLab's
 * {@code chat()} path, transformers' processors and {@code generate()}) for the same conversation.
 */
class VisionFamiliesCliTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;

    @BeforeAll
    static void layOut() throws Exception {
        DistributionCliTest.layOutHome(home);
    }

    @ParameterizedTest
    @CsvSource({
        "plugins-models/internvl/src/test/resources/reference/, internvl-chat",
        "plugins-models/internvl/src/test/resources/reference/, internvl-hf",
        "plugins-models/gemma-vision/src/test/resources/reference/, paligemma",
        "plugins-models/gemma-vision/src/test/resources/reference/, gemma3-vision"
    })
    void inferWithImagesAnswersWithTheReferencesGreedyTokens(String reference, String name) throws Exception {
        Path fixtures = TestPlatform.root().resolve(reference);
        Path model = Files.createDirectories(home.resolve(name));
        for (Path f : List.of(
                fixtures.resolve(name + "/config.json"),
                fixtures.resolve(name + "/model.safetensors"),
                fixtures.resolve(name + "/generation_config.json"))) {
            Files.copy(f, model.resolve(f.getFileName()));
        }
        List<Path> images = new ArrayList<>();
        try (var files = Files.list(fixtures.resolve(name + "-images"))) {
            for (Path f : files.toList()) {
                String file = f.getFileName().toString();
                if (file.endsWith(".png")) {
                    images.add(f);
                } else if (!file.equals("images.json") && !file.equals("pixel_values.safetensors")) {
                    Files.copy(f, model.resolve(file));
                }
            }
        }
        images.sort(null); // a.png, b.png: the order of the reference's image parts
        JsonNode ref =
                JSON.readTree(fixtures.resolve(name + "-images/images.json").toFile());
        // the words of the answer: ids outside the tiny tokenizer's words (special or unknown) decode to nothing
        JsonNode vocab = JSON.readTree(model.resolve("tokenizer.json").toFile())
                .get("model")
                .get("vocab");
        String answer = StreamSupport.stream(ref.get("greedy").get("tokens").spliterator(), false)
                .map(t -> "w" + t.asInt())
                .filter(w -> vocab.has(w))
                .collect(Collectors.joining(" "));

        List<String> command = new ArrayList<>(List.of(
                home.resolve("bin/osprey").toString(),
                "infer",
                "--model",
                model.toString(),
                "--max_new_tokens",
                ref.get("greedy").get("max_new_tokens").asText(),
                "--images"));
        images.forEach(i -> command.add(i.toString()));
        Result chat;
        try (ChildProcess infer = ChildProcess.start(new ProcessBuilder(command))) {
            // the reference's conversation: an image, "w93 w5", an image, "w8 w61"
            chat = infer.input("<image>w93 w5<image>w8 w61\n/exit\n").waitFor(DistributionCliTest.OSPREY_TIMEOUT);
        }
        assertEquals(0, chat.exit(), chat.out());
        assertTrue(chat.out().contains(answer), "transformers' greedy answer '" + answer + "' in: " + chat.out());
    }
}
