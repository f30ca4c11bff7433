package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.hub.DownloadProgress;
import dev.osprey.hub.HubOptions;
import dev.osprey.hub.HuggingFaceHub;
import dev.osprey.hub.LocalHub;
import dev.osprey.hub.ModelScopeHub;

/**
 * {@code osprey export --push_to_hub} of the built distribution, as a job of the job service, against a local server
 * with both hubs' upload APIs (the hub bundle's FakeHub, which checks the protocol): the demo model folder pushed to
 * "Hugging Face" with {@code --hub_token} and to "ModelScope" with the token in {@code MODELSCOPE_API_TOKEN}; each
 * downloaded back through Osprey's own hub download code gives the same bytes; the token is in no line the command
 * printed and in no file it wrote (the job's record and events included).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class PushToHubTest {

    private static final String TOKEN = "hf_itestSECRETtoken0123456789abcdef";
    private static final String REPO = "osprey-user/tiny-chat";

    @TempDir
    static Path home;

    static Path model;

    @BeforeAll
    static void layOut() throws IOException {
        DistributionCliTest.layOutHome(home);
        model = home.resolve("demo/tiny-chat").toRealPath();
    }

    private static ChildProcess.Result osprey(Map<String, String> env, String... args) throws Exception {
        List<String> command =
                new ArrayList<>(List.of(home.resolve("bin/osprey").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile());
        builder.environment().remove("HF_TOKEN");
        builder.environment().remove("MODELSCOPE_API_TOKEN");
        builder.environment().putAll(env);
        return ChildProcess.run(builder, DistributionCliTest.OSPREY_TIMEOUT);
    }

    private static Map<String, byte[]> filesOf(Path folder) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    out.put(folder.relativize(p).toString(), Files.readAllBytes(p));
                }
            }
        }
        return out;
    }

    private static void assertSame(Map<String, byte[]> expected, Map<String, byte[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), k));
    }

    /** No file under {@code folder} (the jobs' records and events, caches, ledgers) holds the token. */
    private static void assertNoTokenIn(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                    assertFalse(text.contains(TOKEN), "the token is written in " + p);
                }
            }
        }
    }

    @Test
    void pushToHuggingFaceAsAJobThenDownloadTheSameFilesBack() throws Exception {
        try (LocalHub hub = LocalHub.empty(REPO, TOKEN)) {
            // the local hub as Hugging Face, for the push and for the push with a bad token
            Map<String, String> hfHub = Map.of(
                    "HF_ENDPOINT", hub.endpoint(), "HF_HOME", home.resolve("hf").toString());
            ChildProcess.Result push = osprey(
                    hfHub,
                    "export",
                    "--model",
                    model.toString(),
                    "--push_to_hub",
                    "true",
                    "--use_hf",
                    "true",
                    "--hub_model_id",
                    REPO,
                    "--hub_token",
                    TOKEN,
                    "--hub_private_repo",
                    "true",
                    "--commit_message",
                    "tiny chat model");
            assertEquals(0, push.exit(), push.out());
            assertFalse(push.out().contains(TOKEN), push.out());
            assertTrue(push.out().contains("pushed ") && push.out().contains("upload "), push.out());
            assertTrue(push.out().contains("100%") && push.out().contains("MB/s"), push.out());
            assertEquals(List.of(), hub.violations());
            assertEquals(List.of("tiny chat model"), hub.commits());
            assertEquals("private", hub.createdVisibility());
            assertSame(filesOf(model), hub.files());

            HubOptions download = HubOptions.fromEnvironment(true, Map.of(), home)
                    .withEndpoints(hub.endpoint(), null)
                    .withCaches(home.resolve("download-hf"), home.resolve("download-ms"));
            Path snapshot = new HuggingFaceHub(download, DownloadProgress.NONE).download(REPO);
            assertSame(filesOf(model), filesOf(snapshot));

            // a bad token: a clear error naming the repository, the token nowhere
            ChildProcess.Result rejected = osprey(
                    hfHub,
                    "export",
                    "--model",
                    model.toString(),
                    "--push_to_hub",
                    "--use_hf",
                    "--hub_model_id",
                    REPO,
                    "--hub_token",
                    TOKEN + "x");
            assertEquals(1, rejected.exit(), rejected.out());
            assertTrue(rejected.out().contains("401") && rejected.out().contains(REPO), rejected.out());
            assertFalse(rejected.out().contains(TOKEN), rejected.out());
        }
        assertNoTokenIn(home.resolve("work"));
        assertNoTokenIn(home.resolve("hf"));
    }

    @Test
    void pushToModelScopeWithTheTokenFromTheEnvironment() throws Exception {
        String repo = "osprey-user/tiny-chat-ms";
        try (LocalHub hub = LocalHub.empty(repo, TOKEN)) {
            ChildProcess.Result push = osprey(
                    Map.of(
                            "MODELSCOPE_DOMAIN",
                            hub.endpoint(),
                            "MODELSCOPE_API_TOKEN",
                            TOKEN,
                            "MODELSCOPE_CACHE",
                            home.resolve("ms").toString()),
                    "export",
                    "--model",
                    model.toString(),
                    "--push_to_hub",
                    "--hub_model_id",
                    repo);
            assertEquals(0, push.exit(), push.out());
            assertFalse(push.out().contains(TOKEN), push.out());
            assertEquals(List.of(), hub.violations());
            assertEquals(List.of("update files"), hub.commits(), "ms-swift's default commit message");
            assertEquals("public", hub.createdVisibility());

            HubOptions download = HubOptions.fromEnvironment(false, Map.of(), home)
                    .withEndpoints(null, hub.endpoint())
                    .withCaches(home.resolve("download-hf"), home.resolve("download-ms"));
            Path folder = new ModelScopeHub(download, DownloadProgress.NONE).download(repo);
            assertSame(filesOf(model), filesOf(folder));
        }
        assertNoTokenIn(home.resolve("work"));
    }
}
