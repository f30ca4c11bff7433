package dev.osprey.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pushes a small model folder to {@link FakeHub}'s upload APIs (both hubs' protocols, checked by {@link HubUploadApi})
 * and downloads it back through Osprey's own download code: the same bytes. Also an interrupted multi-part upload that
 * the next run finishes sending only the missing parts, the errors for 401/403/404/409 naming the repository, and a
 * token that never shows in a message, the progress output or a file.
 */
class HubPushTest {

    static final String REPO = "osprey-user/tiny-export";
    static final String TOKEN = "hf_SECRETsecretSECRET0123456789";

    @TempDir
    Path temp;

    FakeHub hub;
    Path folder;
    final ByteArrayOutputStream terminal = new ByteArrayOutputStream();
    final List<String> messages = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        hub = FakeHub.empty(REPO, TOKEN);
        folder = temp.resolve("export");
        Random random = new Random(7);
        write("config.json", "{\"model_type\":\"llama\",\"hidden_size\":64}".getBytes(StandardCharsets.UTF_8));
        write("tokenizer_config.json", "{\"eos_token\":\"</s>\"}".getBytes(StandardCharsets.UTF_8));
        write("nested/notes.txt", "tiny\n".getBytes(StandardCharsets.UTF_8));
        byte[] adapter = new byte[20_000]; // LFS, one basic PUT
        random.nextBytes(adapter);
        write("adapter.safetensors", adapter);
        byte[] weights = new byte[300_000]; // LFS, five parts of 64 KiB
        random.nextBytes(weights);
        write("model.safetensors", weights);
        write(".git/HEAD", "ref: refs/heads/main\n".getBytes(StandardCharsets.UTF_8)); // never uploaded
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private void write(String name, byte[] content) throws IOException {
        Path p = folder.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
    }

    HubOptions options(boolean useHf, String token) {
        return new HubOptions(
                useHf,
                null,
                hub.endpoint(),
                hub.endpoint(),
                token,
                false,
                temp.resolve("hf"),
                temp.resolve("ms"),
                List.of(),
                List.of());
    }

    HuggingFacePush hf(String token, int retries) {
        return new HuggingFacePush(
                options(true, token),
                new TerminalProgressBar(new PrintStream(terminal, true, StandardCharsets.UTF_8), false),
                null,
                retries,
                0,
                temp.resolve("state"));
    }

    ModelScopePush ms(String token) {
        return new ModelScopePush(
                options(false, token),
                new TerminalProgressBar(new PrintStream(terminal, true, StandardCharsets.UTF_8), false),
                null,
                0,
                0);
    }

    PushRequest request(boolean privateRepo, String revision) {
        return new PushRequest(REPO, folder, privateRepo, null, revision);
    }

    /** The folder's files as uploaded: everything but .git. */
    Map<String, byte[]> expectedFiles() throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                String rel = folder.relativize(p).toString();
                if (Files.isRegularFile(p) && !rel.startsWith(".git")) {
                    out.put(rel, Files.readAllBytes(p));
                }
            }
        }
        return out;
    }

    void assertSameFiles(Path downloaded) throws IOException {
        Map<String, byte[]> expected = expectedFiles();
        for (var e : expected.entrySet()) {
            assertArrayEquals(e.getValue(), Files.readAllBytes(downloaded.resolve(e.getKey())), e.getKey());
        }
        try (Stream<Path> walk = Files.walk(downloaded)) {
            long count = walk.filter(Files::isRegularFile).count();
            assertEquals(expected.size(), count, "no other file came back");
        }
    }

    @Test
    void huggingFacePushStoresSmallFilesInlineAndLargeOnesThroughLfsAndDownloadsBackIdentical() throws Exception {
        PushResult result = hf(TOKEN, 3).push(request(true, null));

        assertEquals(List.of(), hub.uploads.violations);
        assertEquals("private", hub.uploads.createdVisibility);
        assertEquals(List.of(PushRequest.DEFAULT_COMMIT_MESSAGE), hub.uploads.commits);
        assertEquals(5, result.files());
        assertEquals(2, result.lfsFiles());
        assertEquals(0, result.lfsAlreadyThere());
        assertEquals(320_000, result.bytesSent());
        assertEquals(FakeHub.COMMIT, result.commit());
        List<String> puts = hub.uploads.puts;
        assertEquals(1, puts.stream().filter(p -> p.startsWith("basic ")).count(), puts.toString());
        assertEquals(
                List.of("part 1", "part 2", "part 3", "part 4", "part 5"),
                puts.stream().filter(p -> p.startsWith("part ")).toList());
        // the hub's API got the token as Bearer; the storage URLs got nothing (HubUploadApi records a breach)
        assertTrue(hub.uploads.credentialsSeen.stream().allMatch(c -> c.equals("Bearer " + TOKEN)));
        assertFalse(
                Files.exists(temp.resolve("state")
                        .resolve(FakeHub.sha256(expectedFiles().get("model.safetensors")) + ".json")),
                "a completed upload leaves no ledger");

        Path snapshot = new HuggingFaceHub(options(true, null), DownloadProgress.NONE).download(REPO);
        assertSameFiles(snapshot);
        String progress = terminal.toString(StandardCharsets.UTF_8);
        assertTrue(progress.contains("model.safetensors  100%"), progress);
        assertNoToken();
    }

    @Test
    void interruptedMultipartUploadIsResumedSendingOnlyWhatTheHubLacks() throws Exception {
        hub.uploads.dropPart = 3;
        HubException e = assertThrows(HubException.class, () -> hf(TOKEN, 0).push(request(false, null)));
        messages.add(e.getMessage());
        assertEquals(HubException.Reason.NETWORK, e.reason());
        assertTrue(
                e.getMessage().contains("model.safetensors") && e.getMessage().contains(REPO), e.getMessage());
        assertEquals(List.of(), hub.uploads.commits, "nothing committed");
        assertEquals(
                List.of("part 1", "part 2"),
                hub.uploads.puts.stream().filter(p -> p.startsWith("part ")).toList());
        assertTrue(Files.list(temp.resolve("state")).findAny().isPresent(), "the accepted parts are recorded");

        hub.uploads.puts.clear();
        PushResult again = hf(TOKEN, 0).push(request(false, null));

        assertEquals(List.of("part 3", "part 4", "part 5"), hub.uploads.puts, "only the missing parts were sent");
        assertEquals(1, again.lfsAlreadyThere(), "the object finished before the drop was not sent again");
        assertEquals(300_000 - 2 * 65_536, again.bytesSent());
        assertEquals(List.of(), hub.uploads.violations);
        assertEquals("public", hub.uploads.createdVisibility);
        assertSameFiles(new HuggingFaceHub(options(true, null), DownloadProgress.NONE).download(REPO));

        hub.uploads.puts.clear();
        PushResult third = hf(TOKEN, 0).push(request(false, null)); // everything there: a commit and no upload
        assertEquals(List.of(), hub.uploads.puts);
        assertEquals(2, third.lfsAlreadyThere());
        assertNoToken();
    }

    @Test
    void modelScopePushUsesItsOwnProtocolAndDownloadsBackIdentical() throws Exception {
        PushResult result = ms(TOKEN).push(request(true, null));

        assertEquals(List.of(), hub.uploads.violations);
        assertEquals("private", hub.uploads.createdVisibility);
        assertEquals(2, result.lfsFiles(), "the .safetensors files, by modelscope's LFS suffixes");
        assertEquals(2, hub.uploads.puts.size(), hub.uploads.puts.toString());
        assertTrue(hub.uploads.credentialsSeen.stream().allMatch(c -> c.equals("m_session_id=" + TOKEN)));
        assertSameFiles(new ModelScopeHub(options(false, null), DownloadProgress.NONE).download(REPO));

        hub.uploads.puts.clear();
        PushResult again = ms(TOKEN).push(request(true, null));
        assertEquals(List.of(), hub.uploads.puts, "blobs already on the hub are not sent again");
        assertEquals(2, again.lfsAlreadyThere());
        assertEquals(2, hub.uploads.commits.size());
        assertNoToken();
    }

    @Test
    void errorsNameTheRepositoryAndWhatToDoWithoutTheToken() throws Exception {
        // no token at all
        HubException none = assertThrows(HubException.class, () -> hf(null, 0).push(request(false, null)));
        assertTrue(none.getMessage().contains("HF_TOKEN") && none.getMessage().contains(REPO), none.getMessage());
        messages.add(none.getMessage());

        // 401: a token the hub does not know
        String wrong = "hf_WRONGwrongWRONG987654321";
        HubException unauthorized =
                assertThrows(HubException.class, () -> hf(wrong, 0).push(request(false, null)));
        assertEquals(HubException.Reason.UNAUTHORIZED, unauthorized.reason());
        assertTrue(
                unauthorized.getMessage().contains("401")
                        && unauthorized.getMessage().contains(REPO)
                        && unauthorized.getMessage().contains("rejected"),
                unauthorized.getMessage());
        assertFalse(unauthorized.getMessage().contains(wrong), unauthorized.getMessage());
        messages.add(unauthorized.getMessage());

        // 403: a read-only token may not create the repository (and it does not exist)
        String readOnly = "hf_READonlyREADonly55555";
        hub.uploads.readOnlyToken = readOnly;
        HubException forbidden =
                assertThrows(HubException.class, () -> hf(readOnly, 0).push(request(false, null)));
        assertEquals(HubException.Reason.UNAUTHORIZED, forbidden.reason());
        assertTrue(
                forbidden.getMessage().contains("403")
                        && forbidden.getMessage().contains(REPO)
                        && forbidden.getMessage().contains("may not write"),
                forbidden.getMessage());
        assertFalse(forbidden.getMessage().contains(readOnly), forbidden.getMessage());

        // 404: no such branch
        HubException missing =
                assertThrows(HubException.class, () -> hf(TOKEN, 0).push(request(false, "no-such-branch")));
        assertEquals(HubException.Reason.NOT_FOUND, missing.reason());
        assertTrue(missing.getMessage().contains("404") && missing.getMessage().contains(REPO), missing.getMessage());
        messages.add(missing.getMessage());

        // 409: the branch moved while committing
        hub.uploads.commitStatus = 409;
        HubException conflict =
                assertThrows(HubException.class, () -> hf(TOKEN, 0).push(request(false, null)));
        assertEquals(HubException.Reason.CONFLICT, conflict.reason());
        assertTrue(
                conflict.getMessage().contains("409")
                        && conflict.getMessage().contains(REPO)
                        && conflict.getMessage().contains("run the push again"),
                conflict.getMessage());
        messages.add(conflict.getMessage());

        // ModelScope: 401 from its login, naming the repository and its variable
        HubException msUnauthorized =
                assertThrows(HubException.class, () -> ms(wrong).push(request(false, null)));
        assertTrue(
                msUnauthorized.getMessage().contains("401")
                        && msUnauthorized.getMessage().contains(REPO)
                        && msUnauthorized.getMessage().contains("MODELSCOPE_API_TOKEN"),
                msUnauthorized.getMessage());
        assertFalse(msUnauthorized.getMessage().contains(wrong));
        messages.add(msUnauthorized.getMessage());
        assertNoToken();
    }

    /** The token is in no message, no line of progress and no file this test's pushes wrote (ledgers, caches). */
    void assertNoToken() throws IOException {
        for (String m : messages) {
            assertFalse(m.contains(TOKEN), m);
        }
        assertFalse(terminal.toString(StandardCharsets.UTF_8).contains(TOKEN));
        try (Stream<Path> walk = Files.walk(temp)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p) && !p.startsWith(folder)) {
                    String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                    assertFalse(text.contains(TOKEN), p.toString());
                }
            }
        }
    }
}
