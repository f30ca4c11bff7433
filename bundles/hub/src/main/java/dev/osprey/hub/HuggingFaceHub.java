package dev.osprey.hub;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.hub.HubException.Reason;
import dev.osprey.hub.impl.Transfer;

/**
 * Lists and downloads Hugging Face model repositories into the Hugging Face hub cache, in
 * huggingface_hub's own layout, so that Python tools share the files:
 *
 * <pre>
 * {hfCache}/models--{org}--{name}/
 *   refs/{revision}                 the commit hash the revision resolved to
 *   blobs/{etag}                    the file contents (etag = sha256 for LFS files, git blob sha1 otherwise)
 *   blobs/{etag}.incomplete         a download in progress (resumed with Range: bytes=N-)
 *   snapshots/{commit}/{file}       relative symlinks to ../../blobs/{etag} (copies where links fail)
 * </pre>
 *
 * <p>Endpoints: {@code GET {endpoint}/api/models/{repo}/revision/{rev}} lists the files ({@code sha},
 * {@code siblings[].rfilename}); {@code HEAD {endpoint}/{repo}/resolve/{commit}/{file}} gives
 * {@code X-Repo-Commit}, {@code X-Linked-Etag}/{@code ETag} and {@code X-Linked-Size}/{@code Content-Length}
 * (the LFS headers are on the hub's redirect to its CDN, so only relative redirects are followed);
 * {@code GET} of the same URL, following redirects, downloads. {@code refs/{revision}} is written last,
 * so a snapshot with a ref is complete.
 */
public final class HuggingFaceHub {

    /** Retries of a dropped transfer within one download call. */
    public static final int DEFAULT_MAX_RETRIES = 3;

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HubOptions options;
    private final Transfer transfer;
    private final String endpoint;

    public HuggingFaceHub(HubOptions options, DownloadProgress progress) {
        this(options, progress, null, DEFAULT_MAX_RETRIES);
    }

    /**
     * @param client the HTTP client, {@code null} for one that follows no redirects by itself (they are
     *     followed here, dropping the token when leaving the hub's origin)
     * @param maxRetries how often a dropped transfer is resumed within one call
     */
    public HuggingFaceHub(HubOptions options, DownloadProgress progress, HttpClient client, int maxRetries) {
        this.options = options;
        this.endpoint = options.hfEndpoint();
        this.transfer = new Transfer(client, options.token(), "HF_TOKEN", maxRetries, 1000, progress);
    }

    /** {@code {cache}/models--{org}--{name}}. */
    public static Path repoFolder(Path cache, String repoId) {
        return cache.resolve("models--" + repoId.replace("/", "--"));
    }

    /**
     * The cached snapshot of {@code repoId} at {@code revision} ({@code null}: main): a commit hash is
     * looked up directly in {@code snapshots/}, any other revision through {@code refs/{revision}}.
     * Empty when there is no such non-empty snapshot folder.
     */
    public static Optional<Path> findCachedSnapshot(Path cache, String repoId, String revision) {
        String rev = revision == null ? HubOptions.HF_DEFAULT_REVISION : revision;
        Path repo = repoFolder(cache, repoId);
        String commit = null;
        Path ref = repo.resolve("refs").resolve(rev);
        try {
            if (Files.isRegularFile(ref)) {
                commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
            } else if (COMMIT.matcher(rev).matches()) {
                commit = rev;
            }
            if (commit == null || commit.isEmpty() || commit.contains("/") || commit.contains("..")) {
                return Optional.empty();
            }
            Path snapshot = repo.resolve("snapshots").resolve(commit);
            if (Files.isDirectory(snapshot)) {
                try (var entries = Files.list(snapshot)) {
                    if (entries.findAny().isPresent()) {
                        return Optional.of(snapshot);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** {@code GET {endpoint}/api/models/{repo}/revision/{rev}}: the commit and the file names. */
    public RepoListing listFiles(String repoId, String revision) throws HubException {
        String rev = revision == null ? HubOptions.HF_DEFAULT_REVISION : revision;
        URI uri = URI.create(
                endpoint + "/api/models/" + Transfer.encodePath(repoId) + "/revision/" + Transfer.encodeComponent(rev));
        String what = "listing the files of Hugging Face model '" + repoId + "' at revision '" + rev + "'";
        Transfer.Answer a = transfer.getText(uri, what);
        transfer.check(a, what, endpoint + "/" + repoId);
        JsonNode root;
        try {
            root = JSON.readTree(a.body());
        } catch (IOException e) {
            throw new HubException(
                    Reason.PROTOCOL, what + " failed: " + uri + " did not answer JSON: " + Transfer.describe(e), e);
        }
        String sha = root.path("sha").asText(null);
        JsonNode siblings = root.path("siblings");
        if (sha == null || !siblings.isArray()) {
            throw new HubException(
                    Reason.PROTOCOL, what + " failed: the answer of " + uri + " has no 'sha' and 'siblings'");
        }
        List<RemoteFile> files = new ArrayList<>();
        for (JsonNode s : siblings) {
            String name = s.path("rfilename").asText(null);
            if (name == null || name.isEmpty()) {
                continue;
            }
            JsonNode lfs = s.path("lfs");
            long size = lfs.has("size")
                    ? lfs.path("size").asLong(-1)
                    : s.path("size").asLong(-1);
            String sha256 = lfs.path("sha256").asText(null);
            files.add(new RemoteFile(name, size, sha256));
        }
        return new RepoListing(repoId, rev, sha, files);
    }

    /** Downloads {@code repoId} at the options' revision; see {@link #download(String, String)}. */
    public Path download(String repoId) throws HubException {
        return download(repoId, options.revision());
    }

    /**
     * Downloads every file of {@code repoId} at {@code revision} that passes the options' allow/ignore
     * patterns into the cache (files already in {@code blobs/} are not downloaded again) and returns
     * {@code snapshots/{commit}}.
     */
    public Path download(String repoId, String revision) throws HubException {
        return download(repoId, revision, null);
    }

    /**
     * As {@link #download(String, String)}, only the files under {@code subfolder} of the repository (ms-swift's
     * {@code repo:subfolder} ids, several models in one repository), the allow/ignore patterns matched against their
     * paths inside it; returns {@code snapshots/{commit}/{subfolder}}.
     *
     * @param subfolder a folder of the repository, or null for all of it
     * @throws HubException NOT_FOUND naming the folder when the repository has no file under it
     */
    public Path download(String repoId, String revision, String subfolder) throws HubException {
        if (options.offline()) {
            throw new HubException(
                    Reason.OFFLINE, "cannot download Hugging Face model '" + repoId + "': offline mode is on");
        }
        String rev = revision == null ? HubOptions.HF_DEFAULT_REVISION : revision;
        RepoListing listing = listFiles(repoId, rev);
        String commit = listing.commit();
        if (!COMMIT.matcher(commit).matches()) {
            throw new HubException(
                    Reason.PROTOCOL,
                    "listing Hugging Face model '" + repoId + "' gave '" + commit
                            + "' as commit, which is not a commit hash");
        }
        Path repo = repoFolder(options.hfCache(), repoId);
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        List<RemoteFile> chosen = ModelLocator.inSubfolder(listing.files(), subfolder, options, repoId);
        for (RemoteFile f : chosen) {
            downloadFile(repoId, commit, f, repo, snapshot);
        }
        try {
            Files.createDirectories(snapshot);
            if (!rev.equals(commit)) {
                Transfer.writeAtomically(repo.resolve("refs").resolve(rev), commit);
            }
        } catch (IOException e) {
            throw new HubException(
                    Reason.LOCAL_IO,
                    "downloading Hugging Face model '" + repoId + "' failed: cannot write the ref in " + repo + ": "
                            + Transfer.describe(e),
                    e);
        }
        return subfolder == null ? snapshot : snapshot.resolve(subfolder);
    }

    private void downloadFile(String repoId, String commit, RemoteFile f, Path repo, Path snapshot)
            throws HubException {
        String name = f.path();
        Path pointer = snapshot.resolve(name).normalize();
        if (!pointer.startsWith(snapshot) || name.startsWith("/")) {
            throw new HubException(
                    Reason.PROTOCOL, "Hugging Face model '" + repoId + "' lists the unsafe file name '" + name + "'");
        }
        URI url = URI.create(
                endpoint + "/" + Transfer.encodePath(repoId) + "/resolve/" + commit + "/" + Transfer.encodePath(name));
        String what = "downloading '" + name + "' of Hugging Face model '" + repoId + "'";
        String page = endpoint + "/" + repoId;
        Transfer.Answer head = transfer.head(url, what);
        if (head.status() / 100 != 2 && head.status() / 100 != 3) {
            throw transfer.httpError(head.status(), head.uri(), head.headers(), null, what, page);
        }
        String etag = normalizeEtag(
                head.header("X-Linked-Etag").orElse(head.header("ETag").orElse(null)));
        if (etag == null || etag.isEmpty() || etag.contains("/") || etag.contains("..")) {
            throw new HubException(
                    Reason.PROTOCOL,
                    what + " failed: " + url
                            + " answered without a usable ETag, so the file cannot be cached or verified");
        }
        long size = parseLong(head.header("X-Linked-Size")
                .orElse(head.header("Content-Length").orElse(null)));
        if (size < 0) {
            size = f.size();
        }
        Path blob = repo.resolve("blobs").resolve(etag);
        try {
            boolean cached = Files.isRegularFile(blob) && (size < 0 || Files.size(blob) == size);
            if (!cached) {
                Path incomplete = repo.resolve("blobs").resolve(etag + ".incomplete");
                // for LFS files the ETag is the content's sha256; for git-stored files only the size is checked
                String sha256 = Transfer.isSha256(etag) ? etag.toLowerCase(Locale.ROOT) : f.sha256();
                transfer.download(url, what, name, incomplete, size, sha256, page);
                Transfer.moveIntoPlace(incomplete, blob);
            }
            link(pointer, blob);
        } catch (HubException e) {
            throw e;
        } catch (IOException e) {
            throw new HubException(
                    Reason.LOCAL_IO, what + " failed: cannot write the cache " + repo + ": " + Transfer.describe(e), e);
        }
    }

    /** {@code snapshots/{commit}/{file}} -> relative link to the blob; a copy where links are not possible. */
    private static void link(Path pointer, Path blob) throws IOException {
        Files.createDirectories(pointer.getParent());
        Path target = pointer.getParent().relativize(blob);
        if (Files.isSymbolicLink(pointer) && Files.readSymbolicLink(pointer).equals(target)) {
            return;
        }
        Path tmp = pointer.resolveSibling(
                pointer.getFileName() + ".tmp" + ProcessHandle.current().pid());
        Files.deleteIfExists(tmp);
        try {
            Files.createSymbolicLink(tmp, target);
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Transfer.moveIntoPlace(tmp, pointer);
    }

    /** Drops a weak prefix and the quotes, like huggingface_hub's {@code _normalize_etag}. */
    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    private static long parseLong(String s) {
        if (s == null) {
            return -1;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
