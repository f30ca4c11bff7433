package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.itest.ChildProcess.Result;

/**
 * The vision demo shipped in the Osprey home (tools/make-vision-demo.py): {@code osprey sft --config
 * demo/vision-sft.yaml} on 24 self-made pictures lowers the loss, the tuned checkpoint names the colour of the shape
 * in the picture {@code osprey infer --images} shows it, the official openai npm client sends pictures to {@code
 * osprey deploy} and gets the same answers, and a missing or broken picture gives an error naming it.
 */
class VisionDemoTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;

    static Path checkpoint;

    @BeforeAll
    static void trainTheDemo() throws Exception {
        DistributionCliTest.layOutHome(home);
        // run from the Osprey home, as the config's relative paths are (ms-swift reads them from the working folder)
        ProcessBuilder sft = new ProcessBuilder(
                        home.resolve("bin/osprey").toString(),
                        "sft",
                        "--config",
                        "demo/vision-sft.yaml",
                        "--output_dir",
                        home.resolve("vision-sft").toString())
                .directory(home.toFile());
        Result trained = ChildProcess.run(sft, DistributionCliTest.OSPREY_TIMEOUT);
        assertEquals(0, trained.exit(), trained.out());
        List<String> logged = Files.readAllLines(home.resolve("vision-sft/logging.jsonl"));
        double first = JSON.readTree(logged.get(0)).get("loss").asDouble();
        double last = JSON.readTree(logged.get(logged.size() - 1)).get("loss").asDouble();
        assertTrue(last < first / 10, "the loss falls tenfold: " + logged);
        checkpoint = home.resolve("vision-sft/checkpoint-120");
        assertTrue(
                Files.isRegularFile(checkpoint.resolve("preprocessor_config.json")),
                "the checkpoint carries the" + " image processor, so it loads on its own");
    }

    /** The model's answer to the demo's question about {@code image}, in one {@code osprey infer} session. */
    private static Result ask(String image) throws Exception {
        List<String> command = List.of(
                home.resolve("bin/osprey").toString(),
                "infer",
                "--model",
                checkpoint.toString(),
                "--images",
                image,
                "--max_new_tokens",
                "3");
        try (ChildProcess infer = ChildProcess.start(new ProcessBuilder(command))) {
            return infer.input("what colour is the shape ?\n/exit\n").waitFor(DistributionCliTest.OSPREY_TIMEOUT);
        }
    }

    @Test
    void theTunedModelNamesTheColourOfThePictureItIsShown() throws Exception {
        for (Map.Entry<String, String> picture : Map.of(
                        "red-square-1.png", "red",
                        "green-circle-0.png", "green",
                        "blue-circle-2.png", "blue",
                        "yellow-square-0.png", "yellow")
                .entrySet()) {
            Result answer = ask(
                    home.resolve("demo/vision/images").resolve(picture.getKey()).toString());
            assertEquals(0, answer.exit(), answer.out());
            assertTrue(answer.out().contains("<<<  " + picture.getValue() + "\n"), picture + ": " + answer.out());
        }
    }

    @Test
    void aMissingOrBrokenPictureIsNamed() throws Exception {
        Path missing = home.resolve("no-such-picture.png");
        Result none = ask(missing.toString());
        assertTrue(none.out().contains("image '" + missing + "'") && none.out().contains("not found"), none.out());
        Path broken = Files.writeString(home.resolve("broken.png"), "not a picture");
        Result bad = ask(broken.toString());
        assertTrue(bad.out().contains("error: image '" + broken + "'"), bad.out());
    }

    @Test
    void theOfficialOpenAiNpmClientSendsAPictureToDeploy() throws Exception {
        Path suite = TestPlatform.root().resolve("distribution/itest/node-openai");
        assertTrue(
                Files.isRegularFile(suite.resolve("node_modules/openai/package.json")),
                "the openai npm client is not installed in " + suite
                        + "; run once from the repository root: npm ci --prefix distribution/itest/node-openai"
                        + " --no-audit --no-fund");
        ProcessBuilder npmTest = new ProcessBuilder("node", "--test", "vision.test.mjs").directory(suite.toFile());
        npmTest.environment()
                .putAll(Map.of(
                        "OSPREY_HOME",
                        home.toString(),
                        "OSPREY_VISION_MODEL",
                        checkpoint.toString(),
                        "OSPREY_VISION_IMAGES",
                        home.resolve("demo/vision/images").toString()));
        Result tests = ChildProcess.run(npmTest, DistributionCliTest.OSPREY_TIMEOUT);
        assertEquals(0, tests.exit(), tests.out());
        assertTrue(tests.out().contains("# pass 2") && tests.out().contains("# fail 0"), tests.out());
    }
}
