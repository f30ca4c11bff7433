package dev.osprey.itest;

import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
        Path model = layOut(fixtures, name, name);
        List<Path> images = List.of(fixtures.resolve(name + "-images/a.png"), fixtures.resolve(name + "-images/b.png"));
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

    /**
     * ms-swift's rows ({@code <image>} tags, an {@code images} column) train through each family's media step;
     * PaliGemma's as prefix-LM rows (image and prompt read both ways, the answer causally).
     */
    @ParameterizedTest
    @CsvSource({
        "plugins-models/internvl/src/test/resources/reference/, internvl-chat",
        "plugins-models/internvl/src/test/resources/reference/, internvl-hf",
        "plugins-models/gemma-vision/src/test/resources/reference/, paligemma",
        "plugins-models/gemma-vision/src/test/resources/reference/, gemma3-vision"
    })
    void sftOnRowsWithImagesLowersTheLoss(String reference, String name) throws Exception {
        Path fixtures = TestPlatform.root().resolve(reference);
        Path model = layOut(fixtures, name, name + "-sft");
        Path data = Files.createDirectories(home.resolve(name + "-rows"));
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String image = i % 2 == 0 ? "a.png" : "b.png";
            Files.copy(fixtures.resolve(name + "-images/" + image), data.resolve(image), REPLACE_EXISTING);
            String answer = i % 2 == 0 ? "w8 w61" : "w40 w41";
            rows.add("{\"messages\": [{\"role\": \"user\", \"content\": \"<image>w93 w5\"}, {\"role\": \"assistant\","
                    + " \"content\": \"" + answer + "\"}], \"images\": [\"" + image + "\"]}");
        }
        Files.write(data.resolve("rows.jsonl"), rows);
        Path out = home.resolve(name + "-sft-out");
        Result sft = DistributionCliTest.ospreyIn(
                home,
                "sft",
                "--model",
                model.toString(),
                "--dataset",
                data.resolve("rows.jsonl").toString(),
                "--train_type",
                "lora",
                "--learning_rate",
                "5e-2",
                "--per_device_train_batch_size",
                "4",
                "--max_steps",
                "12",
                "--logging_steps",
                "4",
                "--output_dir",
                out.toString());
        assertEquals(0, sft.exit(), sft.out());
        List<String> logged = Files.readAllLines(out.resolve("logging.jsonl"));
        double first = JSON.readTree(logged.get(0)).get("loss").asDouble();
        double last = JSON.readTree(logged.get(logged.size() - 1)).get("loss").asDouble();
        assertTrue(last < first * 0.7, "the loss falls: " + logged);
    }

    /**
     * Gemma 3's pan-and-scan through {@code osprey infer}'s environment (tools/make-gemma3-pan-and-scan-fixtures.py's
     * wide, tall and square pictures, the processor config with pan-and-scan off): DO_PAN_AND_SCAN=true gives
     * transformers' greedy answer, and a bad DO_PAN_AND_SCAN is refused by name, so the variable reaches the media
     * step of the installed distribution (GemmaVisionPromptImagesTest checks its ids and pixels).
     */
    @Test
    void inferTurnsGemma3PanAndScanOnFromTheEnvironment() throws Exception {
        Path fixtures = TestPlatform.root().resolve("plugins-models/gemma-vision/src/test/resources/reference/");
        Path model = Files.createDirectories(home.resolve("gemma3-pan-and-scan"));
        for (String f : List.of("config.json", "model.safetensors", "generation_config.json")) {
            Files.copy(fixtures.resolve("gemma3-vision/" + f), model.resolve(f));
        }
        Path pictures = fixtures.resolve("gemma3-pan-and-scan");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(pictures.resolve(f), model.resolve(f));
        }
        ObjectNode processor = (ObjectNode)
                JSON.readTree(pictures.resolve("preprocessor_config.json").toFile());
        processor.put("do_pan_and_scan", false);
        JSON.writeValue(model.resolve("preprocessor_config.json").toFile(), processor);
        JsonNode ref = JSON.readTree(pictures.resolve("images.json").toFile());
        String answer = StreamSupport.stream(ref.get("greedy").get("tokens").spliterator(), false)
                .map(t -> "w" + t.asInt())
                .collect(Collectors.joining(" "));
        List<String> command = new ArrayList<>(List.of(
                home.resolve("bin/osprey").toString(),
                "infer",
                "--model",
                model.toString(),
                "--max_new_tokens",
                ref.get("greedy").get("max_new_tokens").asText(),
                "--images"));
        for (String picture : List.of("wide.png", "tall.png", "square.png")) {
            command.add(pictures.resolve(picture).toString());
        }
        for (String flag : List.of("true", "bogus")) {
            ProcessBuilder infer = new ProcessBuilder(command);
            infer.environment().put("DO_PAN_AND_SCAN", flag);
            Result chat;
            try (ChildProcess child = ChildProcess.start(infer)) {
                // the reference's conversation: an image, "w93 w5 ", an image, "w8 w61 ", an image, "w17"
                chat = child.input("<image>w93 w5 <image>w8 w61 <image>w17\n/exit\n")
                        .waitFor(DistributionCliTest.OSPREY_TIMEOUT);
            }
            if (flag.equals("true")) {
                assertEquals(0, chat.exit(), chat.out());
                assertTrue(
                        chat.out().contains(answer), "transformers' greedy answer '" + answer + "' in: " + chat.out());
            } else {
                assertTrue(chat.out().contains("DO_PAN_AND_SCAN=bogus"), chat.out());
            }
        }
    }

    /** The fixture's weights with its prompt fixture's processor, tokenizer and template, in {@code folder}. */
    private static Path layOut(Path fixtures, String name, String folder) throws Exception {
        Path model = Files.createDirectories(home.resolve(folder));
        for (String f : List.of("config.json", "model.safetensors", "generation_config.json")) {
            Files.copy(fixtures.resolve(name + "/" + f), model.resolve(f));
        }
        try (var files = Files.list(fixtures.resolve(name + "-images"))) {
            for (Path f : files.toList()) {
                String file = f.getFileName().toString();
                if (!file.endsWith(".png")
                        && !file.equals("images.json")
                        && !file.equals("pixel_values.safetensors")
                        && !file.startsWith("training.")) { // PaliGemmaTrainingRowsTest's reference
                    Files.copy(f, model.resolve(file));
                }
            }
        }
        return model;
    }
}
