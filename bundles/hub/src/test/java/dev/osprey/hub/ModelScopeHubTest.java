package dev.osprey.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelScopeHubTest {

    static final String REPO = "acme/Tiny-0.5B";

    @TempDir
    Path cache;

    FakeHub hub;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub(REPO);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    HubOptions options() {
        return new HubOptions(
                false, null, null, hub.endpoint(), null, false, cache.resolve("hf"), cache, List.of(), List.of());
    }

    ModelScopeHub client(HubOptions o, int retries) {
        return new ModelScopeHub(o, DownloadProgress.NONE, null, retries);
    }

    Path modelDir() {
        return cache.resolve("models/acme/Tiny-0___5B");
    }

    @Test
    void downloadsIntoTheModelScopeLayoutThenTheLocatorFindsItOffline() throws Exception {
        Path folder = new ModelLocator(options()).locate(REPO);

        assertEquals(modelDir(), folder);
        for (var e : hub.files.entrySet()) {
            assertArrayEquals(e.getValue(), Files.readAllBytes(folder.resolve(e.getKey())), e.getKey());
        }
        assertFalse(Files.exists(folder.resolve(ModelScopeHub.MARKER)));
        assertNoIncompleteFiles();
        FakeHub.Request get = hub.requests("GET", "FilePath=model.safetensors").get(0);
        assertEquals("/api/v1/models/acme/Tiny-0.5B/repo", get.path());
        assertEquals("Revision=master&FilePath=model.safetensors", get.query());
        assertEquals(
                "Revision=master&Recursive=true",
                hub.requests("GET", "/repo/files").get(0).query());
        assertEquals(1, hub.requests("GET", "FilePath=nested%2Fvocab.txt").size());

        int before = hub.log.size();
        hub.close();
        assertEquals(folder, new ModelLocator(options().withOffline(true)).locate(REPO));
        assertEquals(folder, new ModelLocator(options()).locate(REPO));
        assertEquals(before, hub.log.size());
    }

    @Test
    void droppedTransferIsResumedWithRangeWithinOneCall() throws Exception {
        hub.dropOnce.add(FakeHub.MODEL);
        Path folder = client(options(), 1).download(REPO);
        assertArrayEquals(hub.files.get(FakeHub.MODEL), Files.readAllBytes(folder.resolve(FakeHub.MODEL)));
        List<FakeHub.Request> gets = hub.requests("GET", "FilePath=model.safetensors");
        assertEquals(2, gets.size(), gets.toString());
        assertTrue(gets.get(1).range().matches("bytes=[1-9][0-9]*-"), gets.toString());
    }

    @Test
    void crashLeavesOnlyIncompleteFilesAndTheNextRunResumes() throws Exception {
        hub.dropAlways.add(FakeHub.MODEL);
        HubException e =
                assertThrows(HubException.class, () -> client(options(), 0).download(REPO));
        assertEquals(HubException.Reason.NETWORK, e.reason());
        Path incomplete = modelDir().resolve(FakeHub.MODEL + ".incomplete");
        long partial = Files.size(incomplete);
        assertTrue(partial > 0);
        assertFalse(Files.exists(modelDir().resolve(FakeHub.MODEL)));
        assertTrue(ModelScopeHub.findCached(cache, REPO).isEmpty(), "an interrupted download is no cache hit");
        HubException offline = assertThrows(
                HubException.class, () -> new ModelLocator(options().withOffline(true)).locate(REPO));
        assertEquals(HubException.Reason.OFFLINE, offline.reason());

        hub.dropAlways.clear();
        hub.log.clear();
        Path folder = client(options(), 0).download(REPO);
        assertArrayEquals(hub.files.get(FakeHub.MODEL), Files.readAllBytes(folder.resolve(FakeHub.MODEL)));
        List<FakeHub.Request> gets = hub.requests("GET", "FilePath=model.safetensors");
        assertEquals(1, gets.size());
        assertEquals("bytes=" + partial + "-", gets.get(0).range());
        // files completed by the first run are not fetched again
        assertTrue(hub.requests("GET", "FilePath=config.json").isEmpty());
        assertTrue(ModelScopeHub.findCached(cache, REPO).isPresent());
    }

    @Test
    void preWrittenHalfFileIsResumed() throws Exception {
        byte[] model = hub.files.get(FakeHub.MODEL);
        Files.createDirectories(modelDir());
        Files.write(modelDir().resolve(FakeHub.MODEL + ".incomplete"), Arrays.copyOf(model, model.length / 2));
        client(options(), 0).download(REPO);
        assertEquals(
                "bytes=" + model.length / 2 + "-",
                hub.requests("GET", "FilePath=model.safetensors").get(0).range());
        assertArrayEquals(model, Files.readAllBytes(modelDir().resolve(FakeHub.MODEL)));
    }

    @Test
    void corruptContentIsRejected() {
        byte[] bad = hub.files.get(FakeHub.MODEL).clone();
        bad[5] ^= 0x7f;
        hub.corrupt.put(FakeHub.MODEL, bad);
        HubException e =
                assertThrows(HubException.class, () -> client(options(), 0).download(REPO));
        assertEquals(HubException.Reason.INTEGRITY, e.reason());
        assertTrue(
                e.getMessage().contains("'model.safetensors'")
                        && e.getMessage().contains(FakeHub.sha256(hub.files.get(FakeHub.MODEL)))
                        && e.getMessage().contains(FakeHub.sha256(bad)),
                e.getMessage());
        assertFalse(Files.exists(modelDir().resolve(FakeHub.MODEL)));
        assertFalse(Files.exists(modelDir().resolve(FakeHub.MODEL + ".incomplete")));
        assertTrue(ModelScopeHub.findCached(cache, REPO).isEmpty());
    }

    @Test
    void unauthorizedAndNotFound() throws Exception {
        hub.requiredToken = "ms-token";
        HubException e =
                assertThrows(HubException.class, () -> client(options(), 0).download(REPO));
        assertEquals(HubException.Reason.UNAUTHORIZED, e.reason());
        assertTrue(
                e.getMessage().contains("HTTP 401")
                        && e.getMessage().contains("gated or private")
                        && e.getMessage().contains("MODELSCOPE_API_TOKEN"),
                e.getMessage());
        client(options().withToken("ms-token"), 0).download(REPO);

        HubException nf = assertThrows(
                HubException.class,
                () -> client(options().withToken("ms-token"), 0).download("acme/missing"));
        assertEquals(HubException.Reason.NOT_FOUND, nf.reason());
        assertTrue(
                nf.getMessage().contains("'acme/missing'")
                        && nf.getMessage().contains("HTTP 404")
                        && nf.getMessage()
                                .contains(hub.endpoint() + "/api/v1/models/acme/missing/repo/files?Revision=master")
                        && nf.getMessage().contains("model acme/missing not found"),
                nf.getMessage());
    }

    @Test
    void ignorePatterns() throws Exception {
        client(options().withPatterns(List.of(), List.of("*.safetensors", "nested/")), 0)
                .download(REPO);
        try (Stream<Path> s = Files.walk(modelDir())) {
            List<String> names = s.filter(Files::isRegularFile)
                    .map(p -> modelDir().relativize(p).toString())
                    .sorted()
                    .toList();
            assertEquals(List.of("README.md", "config.json", "tokenizer.json"), names);
        }
    }

    private void assertNoIncompleteFiles() throws IOException {
        try (Stream<Path> s = Files.walk(cache)) {
            assertEquals(
                    List.of(),
                    s.filter(p -> p.toString().endsWith(".incomplete")).toList());
        }
    }

    /** ms-swift's {@code repo:subfolder} ids: one model of a repository that holds several. */
    @Test
    void aSubfolderIdDownloadsOnlyThatFolderAndIsFoundOfflineAfterwards() throws Exception {
        hub.files.put("Tiny-1B-Pretrain/config.json", "{\"model_type\":\"qwen3\"}".getBytes(StandardCharsets.UTF_8));
        hub.files.put("Tiny-1B-Pretrain/model.safetensors", new byte[] {1, 2, 3});
        hub.files.put("Tiny-2B-Pretrain/config.json", "{}".getBytes(StandardCharsets.UTF_8));
        Path folder = new ModelLocator(options()).locate(REPO + ":Tiny-1B-Pretrain");

        assertEquals(modelDir().resolve("Tiny-1B-Pretrain"), folder);
        assertArrayEquals(
                hub.files.get("Tiny-1B-Pretrain/config.json"), Files.readAllBytes(folder.resolve("config.json")));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(folder.resolve("model.safetensors")));
        assertFalse(Files.exists(folder.resolveSibling("Tiny-2B-Pretrain")), "the other model is not downloaded");
        assertFalse(Files.exists(folder.resolveSibling(FakeHub.MODEL)), "nor the repository's top-level files");
        int before = hub.log.size();
        assertEquals(folder, new ModelLocator(options().withOffline(true)).locate(REPO + ":Tiny-1B-Pretrain"));
        assertEquals(before, hub.log.size(), "the cached folder needs no network");

        HubException missing =
                assertThrows(HubException.class, () -> new ModelLocator(options()).locate(REPO + ":Tiny-9B-Pretrain"));
        assertEquals(HubException.Reason.NOT_FOUND, missing.reason());
        assertTrue(missing.getMessage().contains("has no folder 'Tiny-9B-Pretrain'"), missing.getMessage());
        HubException bad =
                assertThrows(HubException.class, () -> new ModelLocator(options()).locate(REPO + ":../escape"));
        assertEquals(HubException.Reason.INVALID_ID, bad.reason());
    }
}
