package dev.osprey.hub;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.hub.HubException.Reason;
import dev.osprey.hub.impl.Transfer;

/**
 * Lists and downloads ModelScope model repositories into the ModelScope cache, in the layout of the
 * modelscope library: {@code {modelscopeCache}/models/{org}/{name}} where, as modelscope does, each
 * {@code .} of the name becomes {@code ___} ({@code Qwen/Qwen3-0.6B} -> {@code models/Qwen/Qwen3-0___6B}).
 * Older modelscope versions used {@code {modelscopeCache}/{org}/{name}}; lookups try both.
 *
 * <p>Endpoints: {@code GET {endpoint}/api/v1/models/{id}/repo/files?Revision={rev}&Recursive=true}
 * lists ({@code Data.Files[]} with {@code Path}, {@code Type} blob|tree, {@code Size}, {@code Sha256});
 * {@code GET {endpoint}/api/v1/models/{id}/repo?Revision={rev}&FilePath={path}} downloads one file.
 * Each file is written to {@code {file}.incomplete} (resumed with {@code Range}), verified (size and
 * sha256) and moved into place atomically; while a download runs the folder holds a marker file
 * {@value #MARKER}, so that an interrupted download is never taken for a complete one.
 */
public final class ModelScopeHub {

    /** Present in a model folder while a download into it runs or after one was interrupted. */
    public static final String MARKER = ".osprey-download-incomplete";

    public static final int DEFAULT_MAX_RETRIES = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HubOptions options;
    private final Transfer transfer;
    private final String endpoint;

    public ModelScopeHub(HubOptions options, DownloadProgress progress) {
        this(options, progress, null, DEFAULT_MAX_RETRIES);
    }

    /** @see HuggingFaceHub#HuggingFaceHub(HubOptions, DownloadProgress, HttpClient, int) */
    public ModelScopeHub(HubOptions options, DownloadProgress progress, HttpClient client, int maxRetries) {
        this.options = options;
        this.endpoint = options.modelscopeEndpoint();
        this.transfer = new Transfer(client, options.token(), "MODELSCOPE_API_TOKEN", maxRetries, 1000, progress);
    }

    /** Where this hub downloads {@code modelId}: {@code {cache}/models/{org}/{name with . as ___}}. */
    public static Path modelFolder(Path cache, String modelId) {
        String[] parts = split(modelId);
        return cache.resolve("models").resolve(parts[0]).resolve(parts[1].replace(".", "___"));
    }

    /** The folders a cached copy of {@code modelId} may be in, newest layout first. */
    public static List<Path> cacheCandidates(Path cache, String modelId) {
        String[] parts = split(modelId);
        String escaped = parts[1].replace(".", "___");
        Set<Path> out = new LinkedHashSet<>();
        out.add(cache.resolve("models").resolve(parts[0]).resolve(escaped));
        out.add(cache.resolve("models").resolve(parts[0]).resolve(parts[1]));
        out.add(cache.resolve(parts[0]).resolve(escaped));
        out.add(cache.resolve(parts[0]).resolve(parts[1]));
        return List.copyOf(out);
    }

    /**
     * The first {@linkplain #cacheCandidates candidate} folder that holds a complete download: at
     * least one file, no {@value #MARKER} and no {@code *.incomplete} file.
     */
    public static Optional<Path> findCached(Path cache, String modelId) {
        for (Path candidate : cacheCandidates(cache, modelId)) {
            if (isComplete(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static boolean isComplete(Path folder) {
        if (!Files.isDirectory(folder) || Files.exists(folder.resolve(MARKER))) {
            return false;
        }
        try (Stream<Path> files = Files.walk(folder, 16)) {
            boolean any = false;
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().endsWith(".incomplete")) {
                    return false;
                }
                if (!p.equals(folder)
                        && Files.isRegularFile(p)
                        && !p.getFileName().toString().startsWith(".")) {
                    any = true;
                }
            }
            return any;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** {@code GET {endpoint}/api/v1/models/{id}/repo/files?Revision={rev}&Recursive=true}. */
    public RepoListing listFiles(String modelId, String revision) throws HubException {
        split(modelId);
        String rev = revision == null ? HubOptions.MODELSCOPE_DEFAULT_REVISION : revision;
        URI uri = URI.create(endpoint + "/api/v1/models/" + Transfer.encodePath(modelId) + "/repo/files?Revision="
                + Transfer.encodeComponent(rev) + "&Recursive=true");
        String what = "listing the files of ModelScope model '" + modelId + "' at revision '" + rev + "'";
        Transfer.Answer a = transfer.getText(uri, what);
        transfer.check(a, what, endpoint + "/models/" + modelId);
        JsonNode root;
        try {
            root = JSON.readTree(a.body());
        } catch (IOException e) {
            throw new HubException(
                    Reason.PROTOCOL, what + " failed: " + uri + " did not answer JSON: " + Transfer.describe(e), e);
        }
        int code = root.path("Code").asInt(200);
        JsonNode files = root.path("Data").path("Files");
        if (code != 200 || !files.isArray()) {
            String message = root.path("Message").asText("");
            throw new HubException(
                    root.path("Success").asBoolean(true) ? Reason.PROTOCOL : Reason.NOT_FOUND,
                    what + " failed: " + uri + " answered Code " + code
                            + (message.isEmpty() ? "" : " (the hub says: " + message + ")")
                            + (files.isArray() ? "" : " and no Data.Files"));
        }
        List<RemoteFile> out = new ArrayList<>();
        for (JsonNode f : files) {
            if (!"blob".equals(f.path("Type").asText("blob"))) {
                continue;
            }
            String path = f.path("Path").asText(null);
            if (path == null || path.isEmpty()) {
                continue;
            }
            String sha = f.path("Sha256").asText("");
            out.add(new RemoteFile(
                    path, f.path("Size").asLong(-1), sha.isBlank() ? null : sha.toLowerCase(Locale.ROOT)));
        }
        return new RepoListing(modelId, rev, null, out);
    }

    /** Downloads {@code modelId} at the options' revision; see {@link #download(String, String)}. */
    public Path download(String modelId) throws HubException {
        return download(modelId, options.revision());
    }

    /**
     * Downloads every file of {@code modelId} at {@code revision} that passes the options' allow/ignore
     * patterns into {@link #modelFolder} (files already there with the listed size are kept) and
     * returns that folder.
     */
    public Path download(String modelId, String revision) throws HubException {
        return download(modelId, revision, null);
    }

    /**
     * As {@link #download(String, String)}, only the files under {@code subfolder} (ms-swift's
     * {@code repo:subfolder} ids); returns that folder inside {@link #modelFolder}.
     *
     * @param subfolder a folder of the repository, or null for all of it
     * @throws HubException NOT_FOUND naming the folder when the repository has no file under it
     */
    public Path download(String modelId, String revision, String subfolder) throws HubException {
        if (options.offline()) {
            throw new HubException(
                    Reason.OFFLINE, "cannot download ModelScope model '" + modelId + "': offline mode is on");
        }
        String rev = revision == null ? HubOptions.MODELSCOPE_DEFAULT_REVISION : revision;
        RepoListing listing = listFiles(modelId, rev);
        List<RemoteFile> chosen = ModelLocator.inSubfolder(listing.files(), subfolder, options, modelId);
        Path folder = modelFolder(options.modelscopeCache(), modelId);
        Path marker = folder.resolve(MARKER);
        try {
            Transfer.writeAtomically(marker, rev + "\n");
        } catch (IOException e) {
            throw new HubException(
                    Reason.LOCAL_IO,
                    "downloading ModelScope model '" + modelId + "' failed: cannot write " + folder + ": "
                            + Transfer.describe(e),
                    e);
        }
        for (RemoteFile f : chosen) {
            downloadFile(modelId, rev, f, folder);
        }
        try {
            Files.deleteIfExists(marker);
        } catch (IOException e) {
            throw new HubException(
                    Reason.LOCAL_IO,
                    "downloading ModelScope model '" + modelId + "' failed: cannot delete " + marker + ": "
                            + Transfer.describe(e),
                    e);
        }
        return subfolder == null ? folder : folder.resolve(subfolder);
    }

    private void downloadFile(String modelId, String rev, RemoteFile f, Path folder) throws HubException {
        String name = f.path();
        Path target = folder.resolve(name).normalize();
        if (!target.startsWith(folder) || name.startsWith("/") || target.equals(folder)) {
            throw new HubException(
                    Reason.PROTOCOL, "ModelScope model '" + modelId + "' lists the unsafe file name '" + name + "'");
        }
        String what = "downloading '" + name + "' of ModelScope model '" + modelId + "'";
        try {
            if (Files.isRegularFile(target) && (f.size() < 0 || Files.size(target) == f.size())) {
                return;
            }
            URI url = URI.create(endpoint + "/api/v1/models/" + Transfer.encodePath(modelId) + "/repo?Revision="
                    + Transfer.encodeComponent(rev) + "&FilePath=" + Transfer.encodeComponent(name));
            Path incomplete = target.resolveSibling(target.getFileName() + ".incomplete");
            transfer.download(url, what, name, incomplete, f.size(), f.sha256(), endpoint + "/models/" + modelId);
            Transfer.moveIntoPlace(incomplete, target);
        } catch (HubException e) {
            throw e;
        } catch (IOException e) {
            throw new HubException(
                    Reason.LOCAL_IO, what + " failed: cannot write " + target + ": " + Transfer.describe(e), e);
        }
    }

    private static String[] split(String modelId) {
        String[] parts = modelId.split("/", -1);
        if (parts.length != 2
                || parts[0].isEmpty()
                || parts[1].isEmpty()
                || parts[0].equals("..")
                || parts[1].equals("..")
                || parts[0].equals(".")
                || parts[1].equals(".")) {
            throw new IllegalArgumentException("a ModelScope model id is 'org/name', not '" + modelId + "'");
        }
        return parts;
    }
}
