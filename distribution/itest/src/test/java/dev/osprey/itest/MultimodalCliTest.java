package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.itest.ChildProcess.Result;

/**
 * The command line with images on the tiny Qwen2-VL and Qwen3-VL (their weights with the prompt fixtures' processor,
 * tokenizer and template, tools/make-qwen-vl-prompt-fixtures.py): {@code osprey sft} on rows with an {@code images}
 * column lowers its loss, and {@code osprey infer --images} answers. Qwen3-VL trains its vision tower too (at its own
 * {@code --vit_lr}), with activation checkpointing, so the DeepStack features' gradients go through the checkpointed step; Qwen2-VL trains
 * on its rows packed ({@code --packing}).
 */
class MultimodalCliTest {

    private static final String REFERENCE = "plugins-models/qwen-vl/src/test/resources/reference/";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;

    @BeforeAll
    static void layOut() throws Exception {
        DistributionCliTest.layOutHome(home);
    }

    /** The tiny model {@code name} with its prompt fixture's processor, tokenizer and template. */
    private static Path model(String name) throws Exception {
        Path model = Files.createDirectories(home.resolve("tiny-" + name));
        Path root = TestPlatform.root();
        for (String f : List.of("config.json", "model.safetensors", "generation_config.json")) {
            Files.copy(root.resolve(REFERENCE + name + "/" + f), model.resolve(f));
        }
        for (String f : List.of("preprocessor_config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(root.resolve(REFERENCE + name + "-images/" + f), model.resolve(f));
        }
        return model;
    }

    static Stream<Arguments> models() {
        return Stream.of(
                arguments("qwen2-vl", List.of("--packing", "true")), // the rows with their images packed
                arguments(
                        "qwen3-vl",
                        List.of("--freeze_vit", "false", "--vit_lr", "1e-2", "--gradient_checkpointing", "true")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void sftOnRowsWithImagesLowersTheLossAndInferReadsAnImage(String name, List<String> extra) throws Exception {
        Path model = model(name);
        Path data = Files.createDirectories(home.resolve("pictures-" + name));
        for (String f : List.of("a.png", "b.png")) {
            Files.copy(TestPlatform.root().resolve(REFERENCE + name + "-images/" + f), data.resolve(f));
        }
        // ms-swift's rows: <image> tags in the text, paths relative to the dataset file
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String image = i % 2 == 0 ? "a.png" : "b.png";
            String answer = i % 2 == 0 ? "w8 w61" : "w40 w41";
            rows.add(JSON.writeValueAsString(JSON.createObjectNode()
                    .set(
                            "messages",
                            JSON.readTree("[{\"role\": \"user\", \"content\": \"<image>w93 w5\"},"
                                    + " {\"role\": \"assistant\", \"content\": \"" + answer + "\"}]"))));
            rows.set(i, rows.get(i).substring(0, rows.get(i).length() - 1) + ", \"images\": [\"" + image + "\"]}");
        }
        Files.write(data.resolve("rows.jsonl"), rows);
        Path out = home.resolve("vl-sft-" + name);
        List<String> args = new ArrayList<>(List.of(
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
                out.toString()));
        args.addAll(extra);
        Result sft = DistributionCliTest.ospreyIn(home, args.toArray(new String[0]));
        assertEquals(0, sft.exit(), sft.out());
        List<String> logged = Files.readAllLines(out.resolve("logging.jsonl"));
        double first = JSON.readTree(logged.get(0)).get("loss").asDouble();
        JsonNode last = JSON.readTree(logged.get(logged.size() - 1));
        assertTrue(last.get("loss").asDouble() < first * 0.7, "the loss falls: " + logged);

        List<String> command = List.of(
                home.resolve("bin/osprey").toString(),
                "infer",
                "--model",
                model.toString(),
                "--images",
                data.resolve("a.png").toString(),
                "--max_new_tokens",
                "4");
        Result chat;
        try (ChildProcess infer = ChildProcess.start(new ProcessBuilder(command))) {
            chat = infer.input("w93 w5\n/exit\n").waitFor(DistributionCliTest.OSPREY_TIMEOUT);
        }
        assertEquals(0, chat.exit(), chat.out());
        assertTrue(chat.out().contains("<<< ") && !chat.out().contains("error:"), chat.out());
    }
}
