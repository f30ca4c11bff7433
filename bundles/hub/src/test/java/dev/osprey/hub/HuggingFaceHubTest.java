package dev.osprey.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HuggingFaceHubTest {

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
                true, null, hub.endpoint(), null, null, false, cache, cache.resolve("ms"), List.of(), List.of());
    }

    HuggingFaceHub client(HubOptions o, int retries) {
        return new HuggingFaceHub(o, DownloadProgress.NONE, null, retries);
    }

    Path repoDir() {
        return cache.resolve("models--acme--Tiny-0.5B");
    }

    @Test
    void downloadsIntoTheHfCacheLayoutThenTheLocatorFindsItOffline() throws Exception {
        Path snapshot = new ModelLocator(options()).locate(REPO);

        assertEquals(repoDir().resolve("snapshots").resolve(FakeHub.COMMIT), snapshot);
        assertEquals(FakeHub.COMMIT, Files.readString(repoDir().resolve("refs/main")));
        for (var e : hub.files.entrySet()) {
            Path pointer = snapshot.resolve(e.getKey());
            assertTrue(Files.isSymbolicLink(pointer), e.getKey() + " is a symlink");
            assertArrayEquals(e.getValue(), Files.readAllBytes(pointer), e.getKey());
            Path blob = repoDir().resolve("blobs").resolve(hub.etag(e.getKey()));
            assertTrue(Files.isRegularFile(blob), "blob of " + e.getKey());
            assertEquals(blob.toRealPath(), pointer.toRealPath());
        }
        assertEquals(
                Path.of("../../blobs/" + FakeHub.sha256(hub.files.get(FakeHub.MODEL))),
                Files.readSymbolicLink(snapshot.resolve(FakeHub.MODEL)));
        assertEquals(
                Path.of("../../../blobs/" + FakeHub.gitSha1(hub.files.get("nested/vocab.txt"))),
                Files.readSymbolicLink(snapshot.resolve("nested/vocab.txt")));
        assertNoIncompleteFiles();
        // the LFS file's HEAD was not followed to the CDN (the X-Linked-* headers are on the redirect)
        assertTrue(hub.requests("HEAD", "/cdn/").isEmpty());

        int before = hub.log.size();
        hub.close(); // no network from here on
        Path again = new ModelLocator(options().withOffline(true)).locate(REPO);
        assertEquals(snapshot, again);
        Path online = new ModelLocator(options()).locate(REPO); // a cache hit needs no network either
        assertEquals(snapshot, online);
        assertEquals(before, hub.log.size());
    }

    @Test
    void droppedTransferIsResumedWithRangeWithinOneCall() throws Exception {
        hub.dropOnce.add(FakeHub.MODEL);
        Path snapshot = client(options(), 2).download(REPO);

        assertArrayEquals(hub.files.get(FakeHub.MODEL), Files.readAllBytes(snapshot.resolve(FakeHub.MODEL)));
        List<FakeHub.Request> gets = hub.requests("GET", "/cdn/");
        assertEquals(2, gets.size(), gets.toString());
        assertEquals(null, gets.get(0).range());
        assertTrue(gets.get(1).range() != null && gets.get(1).range().matches("bytes=[1-9][0-9]*-"), gets.toString());
        assertNoIncompleteFiles();
    }

    @Test
    void crashLeavesOnlyTheIncompleteBlobAndTheNextRunResumes() throws Exception {
        hub.dropAlways.add(FakeHub.MODEL);
        HubException e =
                assertThrows(HubException.class, () -> client(options(), 0).download(REPO));
        assertEquals(HubException.Reason.NETWORK, e.reason());
        assertTrue(e.getMessage().contains(FakeHub.MODEL) && e.getMessage().contains("/cdn/"), e.getMessage());

        String sha = FakeHub.sha256(hub.files.get(FakeHub.MODEL));
        Path incomplete = repoDir().resolve("blobs").resolve(sha + ".incomplete");
        assertTrue(Files.size(incomplete) > 0, "partial bytes kept");
        assertFalse(Files.exists(repoDir().resolve("blobs").resolve(sha)));
        assertFalse(Files.exists(
                repoDir().resolve("snapshots").resolve(FakeHub.COMMIT).resolve(FakeHub.MODEL)));
        assertFalse(Files.exists(repoDir().resolve("refs/main")), "no ref before the snapshot is complete");
        assertTrue(HuggingFaceHub.findCachedSnapshot(cache, REPO, "main").isEmpty());
        long partial = Files.size(incomplete);

        hub.dropAlways.clear();
        hub.log.clear();
        Path snapshot = client(options(), 0).download(REPO);
        assertArrayEquals(hub.files.get(FakeHub.MODEL), Files.readAllBytes(snapshot.resolve(FakeHub.MODEL)));
        List<FakeHub.Request> gets = hub.requests("GET", "/cdn/");
        assertEquals(1, gets.size(), gets.toString());
        assertEquals("bytes=" + partial + "-", gets.get(0).range());
        assertNoIncompleteFiles();
    }

    @Test
    void preWrittenHalfBlobIsResumed() throws Exception {
        byte[] model = hub.files.get(FakeHub.MODEL);
        Path blobs = Files.createDirectories(repoDir().resolve("blobs"));
        Files.write(blobs.resolve(FakeHub.sha256(model) + ".incomplete"), Arrays.copyOf(model, model.length / 2));

        Path snapshot = client(options(), 0).download(REPO);
        assertArrayEquals(model, Files.readAllBytes(snapshot.resolve(FakeHub.MODEL)));
        assertEquals(
                "bytes=" + model.length / 2 + "-",
                hub.requests("GET", "/cdn/").get(0).range());
    }

    @Test
    void corruptContentIsRejectedAndNothingIsLeftAtTheFinalPath() throws Exception {
        byte[] bad = hub.files.get(FakeHub.MODEL).clone();
        bad[1000] ^= 1;
        hub.corrupt.put(FakeHub.MODEL, bad);
        HubException e =
                assertThrows(HubException.class, () -> client(options(), 0).download(REPO));

        String expected = FakeHub.sha256(hub.files.get(FakeHub.MODEL));
        assertEquals(HubException.Reason.INTEGRITY, e.reason());
        assertTrue(e.getMessage().contains("'model.safetensors'"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains(FakeHub.sha256(bad)), e.getMessage());
        assertFalse(Files.exists(repoDir().resolve("blobs").resolve(expected)));
        assertFalse(Files.exists(repoDir().resolve("blobs").resolve(expected + ".incomplete")));
        assertFalse(Files.exists(
                repoDir().resolve("snapshots").resolve(FakeHub.COMMIT).resolve(FakeHub.MODEL)));
    }

    @Test
    void unauthorizedSaysGatedOrPrivateAndTheTokenIsSent() throws Exception {
        hub.requiredToken = "hf_secret";
        HubException e =
                assertThrows(HubException.class, () -> client(options(), 0).download(REPO));
        assertEquals(HubException.Reason.UNAUTHORIZED, e.reason());
        assertTrue(e.getMessage().contains("HTTP 401"), e.getMessage());
        assertTrue(e.getMessage().contains("gated or private"), e.getMessage());
        assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
        assertTrue(
                e.getMessage().contains(hub.endpoint() + "/api/models/acme/Tiny-0.5B/revision/main"), e.getMessage());

        Path snapshot = client(options().withToken("hf_secret"), 0).download(REPO);
        assertTrue(Files.exists(snapshot.resolve(FakeHub.MODEL)));
        assertTrue(hub.log.stream()
                .filter(r -> !r.path().startsWith("/cdn/"))
                .allMatch(r -> r.authorization() == null || r.authorization().equals("Bearer hf_secret")));
        assertEquals(
                "Bearer hf_secret", hub.requests("HEAD", "config.json").get(0).authorization());
    }

    @Test
    void notFoundNamesRepoRevisionAndUrl() {
        HubException repo =
                assertThrows(HubException.class, () -> client(options(), 0).download("acme/nope"));
        assertEquals(HubException.Reason.NOT_FOUND, repo.reason());
        assertTrue(
                repo.getMessage().contains("'acme/nope'")
                        && repo.getMessage().contains("HTTP 404")
                        && repo.getMessage().contains("no such repository")
                        && repo.getMessage().contains(hub.endpoint() + "/api/models/acme/nope/revision/main"),
                repo.getMessage());

        HubException rev =
                assertThrows(HubException.class, () -> client(options(), 0).download(REPO, "v9"));
        assertTrue(
                rev.getMessage().contains("revision 'v9'") && rev.getMessage().contains("no such revision"),
                rev.getMessage());
    }

    @Test
    void networkFailureNamesTheUrlAndTheCause() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        HubOptions o = options().withEndpoints("http://127.0.0.1:" + port, null);
        HubException e = assertThrows(HubException.class, () -> client(o, 0).download(REPO));
        assertEquals(HubException.Reason.NETWORK, e.reason());
        assertTrue(
                e.getMessage().contains("cannot reach http://127.0.0.1:" + port + "/api/models/acme/Tiny-0.5B"),
                e.getMessage());
        assertTrue(e.getMessage().contains("ConnectException"), e.getMessage());
    }

    @Test
    void allowAndIgnorePatternsSelectFiles() throws Exception {
        HubOptions o = options().withPatterns(List.of("*.safetensors", "*.json", "*.txt"), List.of("tokenizer*"));
        Path snapshot = client(o, 0).download(REPO);
        try (Stream<Path> s = Files.walk(snapshot)) {
            List<String> names = s.filter(p -> !Files.isDirectory(p))
                    .map(p -> snapshot.relativize(p).toString())
                    .sorted()
                    .toList();
            assertEquals(List.of("config.json", FakeHub.MODEL, "nested/vocab.txt"), names);
        }
        assertTrue(hub.requests("HEAD", "README.md").isEmpty());
    }

    @Test
    void secondDownloadReusesBlobs() throws Exception {
        client(options(), 0).download(REPO);
        hub.log.clear();
        client(options(), 0).download(REPO, FakeHub.COMMIT);
        assertTrue(
                hub.requests("GET", "/resolve/").isEmpty()
                        && hub.requests("GET", "/cdn/").isEmpty(),
                hub.log.toString());
    }

    @Test
    void progressIsReported() throws Exception {
        StringBuilder events = new StringBuilder();
        long[] bytes = new long[1];
        DownloadProgress p = new DownloadProgress() {
            @Override
            public void started(String name, long total) {
                events.append("started ").append(name).append(' ').append(total).append('\n');
            }

            @Override
            public void advanced(long n) {
                bytes[0] += n;
            }

            @Override
            public void finished(String name) {
                events.append("finished ").append(name).append('\n');
            }
        };
        new HuggingFaceHub(options().withPatterns(List.of(FakeHub.MODEL), List.of()), p, null, 0).download(REPO);
        assertEquals("started model.safetensors 300000\nfinished model.safetensors\n", events.toString());
        assertEquals(300_000, bytes[0]);
    }

    private void assertNoIncompleteFiles() throws IOException {
        try (Stream<Path> s = Files.walk(cache)) {
            assertEquals(
                    List.of(),
                    s.filter(p -> p.toString().endsWith(".incomplete")).toList());
        }
    }

    static Map<String, String> env(String... kv) {
        Map<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    /** ms-swift's {@code repo:subfolder} ids: one model of a repository that holds several. */
    @Test
    void aSubfolderIdDownloadsOnlyThatFolderAndIsFoundOfflineAfterwards() throws Exception {
        hub.files.put("Tiny-1B-Pretrain/config.json", "{\"model_type\":\"qwen3\"}".getBytes(StandardCharsets.UTF_8));
        hub.files.put("Tiny-1B-Pretrain/model.safetensors", new byte[] {1, 2, 3});
        hub.files.put("Tiny-2B-Pretrain/config.json", "{}".getBytes(StandardCharsets.UTF_8));
        Path folder = new ModelLocator(options()).locate(REPO + ":Tiny-1B-Pretrain");

        assertEquals(repoDir().resolve("snapshots").resolve(FakeHub.COMMIT).resolve("Tiny-1B-Pretrain"), folder);
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
