package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.itest.ChildProcess.Result;

/**
 * The web UI's job forms in a real browser: {@code distribution/itest/node-webui/forms.itest.mjs} (node:test with
 * playwright-core, driving Debian's Chromium) against {@code osprey deploy} of the built distribution. It fills the
 * RLHF form for DPO on a preference dataset made here from the demo's questions, checks the command preview and the
 * method's validation message, previews dataset rows with the loss mask, saves and loads the arguments as YAML,
 * reads the memory estimate and launches an eval job that appears on the Jobs page; then {@code osprey rlhf
 * --config} trains from the YAML the form saved, so the file is the command line's. Screenshots: webui-train.png,
 * webui-rlhf.png and webui-eval.png (docs/ when refreshing the README's pictures).
 */
class WebUiFormsBrowserTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    @Test
    void theRlhfFormPreviewsValidatesSavesAndTheEvalFormLaunches() throws Exception {
        Path suite = TestPlatform.root().resolve("distribution/itest/node-webui");
        assertTrue(
                Files.isRegularFile(suite.resolve("node_modules/playwright-core/package.json")),
                "playwright-core is not installed in " + suite + "; run once from the repository root (.ci/run does"
                        + " it): npm ci --prefix distribution/itest/node-webui --no-audit --no-fund");
        assertTrue(
                Files.isExecutable(WebUiBrowserTest.CHROMIUM),
                WebUiBrowserTest.CHROMIUM + " is missing: apt-get install -y chromium (.ci/run does it)");
        DistributionCliTest.layOutHome(home);
        Path dpo = home.resolve("data/dpo.jsonl");
        writePreferences(home.resolve("demo/data/qa.jsonl"), dpo, 24);
        Path savedYaml = home.resolve("saved-rlhf.yaml");
        Path shots = Path.of(System.getProperty(
                        "osprey.webui.screenshots",
                        TestPlatform.root()
                                .resolve("distribution/itest/target/webui-screenshots")
                                .toString()))
                .toAbsolutePath();
        // only this suite's file: `npm test` (WebUiBrowserTest) runs *.test.mjs
        ProcessBuilder node = new ProcessBuilder("node", "--test", "--test-concurrency=1", "forms.itest.mjs")
                .directory(suite.toFile());
        node.environment()
                .putAll(Map.of(
                        "OSPREY_HOME", home.toString(),
                        "CHROMIUM", WebUiBrowserTest.CHROMIUM.toString(),
                        "OSPREY_SCREENSHOTS", shots.toString(),
                        "OSPREY_DPO_DATASET", dpo.toString(),
                        "OSPREY_SAVED_YAML", savedYaml.toString()));
        Result tests = ChildProcess.run(node, Duration.ofMinutes(15));
        assertEquals(0, tests.exit(), tests.out());
        assertTrue(tests.out().contains("# fail 0") && !tests.out().contains("# pass 0"), tests.out());
        for (String page : new String[] {"train", "rlhf", "eval"}) {
            assertTrue(Files.size(shots.resolve("webui-" + page + ".png")) > 10_000, page + " screenshot");
        }

        // the YAML the form saved is what `osprey rlhf --config` reads: two DPO steps from it
        Path output = home.resolve("dpo-from-yaml");
        Result cli = DistributionCliTest.ospreyIn(
                home, "rlhf", "--config", savedYaml.toString(), "--output_dir", output.toString());
        assertEquals(0, cli.exit(), Files.readString(savedYaml) + "\n" + cli.out());
        assertTrue(Files.isDirectory(output), cli.out());
    }

    /**
     * A small DPO dataset from the demo's questions: each row's answer is chosen, the next row's answer rejected
     * (ms-swift's {@code rejected_response} column).
     */
    static void writePreferences(Path qa, Path target, int rows) throws Exception {
        List<String> lines = Files.readAllLines(qa);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            JsonNode row = JSON.readTree(lines.get(i));
            JsonNode next = JSON.readTree(lines.get(i + 1));
            JsonNode messages = row.get("messages");
            Map<String, Object> preference = new LinkedHashMap<>();
            preference.put("messages", messages);
            preference.put(
                    "rejected_response",
                    next.get("messages")
                            .get(next.get("messages").size() - 1)
                            .get("content")
                            .asText());
            out.add(JSON.writeValueAsString(preference));
        }
        Files.createDirectories(target.getParent());
        Files.write(target, out);
    }
}
