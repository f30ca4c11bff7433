package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.itest.ChildProcess.Result;

/**
 * The web UI in a real browser: {@code distribution/itest/node-webui} (node:test with playwright-core, driving
 * Debian's Chromium, no browser download) against {@code osprey deploy} of the built distribution: it launches
 * the demo SFT from the Train form, watches the loss curve grow, cancels and resumes the job, chats with the
 * served model and lists the plugins (a faulty one with its failure), taking a screenshot of each page. Its node modules and Chromium are
 * installed beforehand, by .ci/run (README, "Run the tests"), never by the build.
 */
class WebUiBrowserTest {

    static final Path CHROMIUM = Path.of(System.getProperty("osprey.chromium", "/usr/bin/chromium"));

    @TempDir
    Path home;

    @Test
    void theDemoTrainsFromTheBrowserAndTheServedModelChats() throws Exception {
        Path suite = TestPlatform.root().resolve("distribution/itest/node-webui");
        assertTrue(
                Files.isRegularFile(suite.resolve("node_modules/playwright-core/package.json")),
                "playwright-core is not installed in " + suite + "; run once from the repository root (Node 18+,"
                        + " reaches the npm registry; .ci/run does it): npm ci --prefix distribution/itest/node-webui"
                        + " --no-audit --no-fund");
        assertTrue(
                Files.isExecutable(CHROMIUM),
                CHROMIUM + " is missing: install Debian's Chromium (.ci/run does it): apt-get install -y chromium"
                        + " (or point -Dosprey.chromium at another Chromium)");
        DistributionCliTest.layOutHome(home);
        // a plugin that fails to start, whose reason the Plugins page must show
        Files.copy(
                TestPlatform.exampleJar("faulty-plugin", "faulty-reward", "1.0.0"),
                home.resolve("plugins/faulty-reward.jar"));
        // screenshots of each page: docs/webui-*.png when refreshing the README's pictures, else under target/
        Path shots = Path.of(System.getProperty(
                        "osprey.webui.screenshots",
                        TestPlatform.root()
                                .resolve("distribution/itest/target/webui-screenshots")
                                .toString()))
                .toAbsolutePath();
        ProcessBuilder npmTest = new ProcessBuilder("npm", "test").directory(suite.toFile());
        npmTest.environment()
                .putAll(Map.of(
                        "OSPREY_HOME", home.toString(),
                        "CHROMIUM", CHROMIUM.toString(),
                        "OSPREY_SCREENSHOTS", shots.toString(),
                        "OSPREY_FAULTY_PLUGIN", "com.example.osprey.faulty-reward"));
        Result tests = ChildProcess.run(npmTest, Duration.ofMinutes(15));
        assertEquals(0, tests.exit(), tests.out());
        assertTrue(tests.out().contains("# fail 0") && !tests.out().contains("# pass 0"), tests.out());
        for (String page : new String[] {"train", "job", "jobs", "chat", "plugins"}) {
            assertTrue(Files.size(shots.resolve("webui-" + page + ".png")) > 10_000, page + " screenshot");
        }
    }
}
