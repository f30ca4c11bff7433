package dev.osprey.hub;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.osprey.hub.HubException.Reason;

/**
 * Resolves a {@code --model} value to a local folder in ms-swift's order: an existing local path
 * (returned as is, {@code ~} expanded); else the Hugging Face cache ({@link HubOptions#useHf()}) or
 * the ModelScope cache (the default); else a download from that hub into its cache, unless offline.
 * Cache hits need no network at all. A hub id may name a folder of its repository after a colon, as ms-swift's
 * {@code OpenGVLab/InternVL2-Pretrain-Models:InternVL2-1B-Pretrain} does (several models in one repository): only
 * that folder's files are downloaded, and the folder is the model's.
 */
public final class ModelLocator {

    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private final HubOptions options;
    private final DownloadProgress progress;
    private final HttpClient client;
    private final Map<String, String> env;

    public ModelLocator(HubOptions options) {
        this(options, DownloadProgress.NONE);
    }

    public ModelLocator(HubOptions options, DownloadProgress progress) {
        this(options, progress, null, System.getenv());
    }

    /**
     * @param client the HTTP client for downloads, {@code null} for the default
     * @param env the environment, only to say in messages whether offline mode came from
     *     {@code HF_HUB_OFFLINE}
     */
    public ModelLocator(HubOptions options, DownloadProgress progress, HttpClient client, Map<String, String> env) {
        this.options = options;
        this.progress = progress != null ? progress : DownloadProgress.NONE;
        this.client = client;
        this.env = env != null ? env : Map.of();
    }

    public HubOptions options() {
        return options;
    }

    /**
     * The local folder for {@code model}: a local path, a cached snapshot, or a fresh download.
     *
     * @throws HubException naming the model and everything tried (paths, URLs) when none works
     */
    public Path locate(String model) throws HubException {
        String value = model == null ? "" : model.trim();
        if (value.isEmpty()) {
            throw new HubException(
                    Reason.INVALID_ID, "no model given: pass a local folder or a hub model id 'org/name'");
        }
        Path local = localPath(value);
        if (local != null && Files.exists(local)) {
            return local;
        }
        if (!isHubId(value, options.useHf())) {
            throw new HubException(
                    Reason.INVALID_ID,
                    "model '" + value + "' is not a local folder ("
                            + (local != null ? local.toAbsolutePath() : value) + " does not exist) and not a "
                            + (options.useHf()
                                    ? "Hugging Face model id ('org/name' or 'name', optionally ':subfolder')"
                                    : "ModelScope model id ('org/name', optionally ':subfolder')"));
        }
        Optional<Path> cached = findInCache(value);
        if (cached.isPresent()) {
            return cached.get();
        }
        String notCached = "model '" + value + "' is not a local folder, not in the " + cacheName() + " cache ("
                + cacheLocations(value).stream().map(Path::toString).collect(Collectors.joining(", ")) + ")";
        if (options.offline()) {
            throw new HubException(
                    Reason.OFFLINE,
                    notCached + " and offline mode is on ("
                            + (HubOptions.isTrue(env.get("HF_HUB_OFFLINE")) ? "HF_HUB_OFFLINE=1" : "offline option")
                            + ")");
        }
        HubId id = HubId.parse(value);
        try {
            return options.useHf()
                    ? new HuggingFaceHub(options, progress, client, HuggingFaceHub.DEFAULT_MAX_RETRIES)
                            .download(id.repo(), options.revision(), id.subfolder())
                    : new ModelScopeHub(options, progress, client, ModelScopeHub.DEFAULT_MAX_RETRIES)
                            .download(id.repo(), options.revision(), id.subfolder());
        } catch (HubException e) {
            throw new HubException(e.reason(), notCached + ", and the download failed: " + e.getMessage(), e);
        }
    }

    /** The cached copy of a hub model id, without any network access. */
    public Optional<Path> findInCache(String modelId) {
        if (!isHubId(modelId, options.useHf())) {
            return Optional.empty();
        }
        HubId id = HubId.parse(modelId);
        Optional<Path> repo = options.useHf()
                ? HuggingFaceHub.findCachedSnapshot(options.hfCache(), id.repo(), options.effectiveRevision())
                : ModelScopeHub.findCached(options.modelscopeCache(), id.repo());
        return id.subfolder() == null
                ? repo
                : repo.map(r -> r.resolve(id.subfolder())).filter(ModelLocator::holdsFiles);
    }

    /** Where {@link #findInCache} looks. */
    public List<Path> cacheLocations(String modelId) {
        HubId id = HubId.parse(modelId);
        List<Path> repos = options.useHf()
                ? List.of(HuggingFaceHub.repoFolder(options.hfCache(), id.repo()))
                : ModelScopeHub.cacheCandidates(options.modelscopeCache(), id.repo());
        return id.subfolder() == null
                ? repos
                : repos.stream().map(r -> r.resolve(id.subfolder())).toList();
    }

    /**
     * {@code org/name} (Hugging Face also accepts a bare {@code name}), optionally {@code :sub/folder}; no
     * {@code ..}, no {@code --}.
     */
    public static boolean isHubId(String value, boolean huggingFace) {
        int colon = value.indexOf(':');
        if (colon >= 0) {
            return isRepoId(value.substring(0, colon), huggingFace) && isSubfolder(value.substring(colon + 1));
        }
        return isRepoId(value, huggingFace);
    }

    /**
     * A hub id: the repository and the folder in it that holds the model.
     *
     * @param subfolder the part after the colon, or null for the whole repository
     */
    record HubId(String repo, String subfolder) {

        static HubId parse(String value) {
            int colon = value.indexOf(':');
            return colon < 0
                    ? new HubId(value, null)
                    : new HubId(value.substring(0, colon), value.substring(colon + 1));
        }
    }

    /**
     * The listed files under {@code subfolder} (all of them when it is null) that pass the options' allow/ignore
     * patterns, matched against their paths inside it.
     *
     * @throws HubException NOT_FOUND naming the folder when the repository holds no file under it
     */
    static List<RemoteFile> inSubfolder(List<RemoteFile> files, String subfolder, HubOptions options, String repo)
            throws HubException {
        String prefix = subfolder == null ? "" : subfolder + "/";
        List<RemoteFile> chosen = files.stream()
                .filter(f -> f.path().startsWith(prefix))
                .filter(f -> options.accepts(f.path().substring(prefix.length())))
                .toList();
        if (subfolder != null && files.stream().noneMatch(f -> f.path().startsWith(prefix))) {
            throw new HubException(
                    Reason.NOT_FOUND,
                    "model '" + repo + ":" + subfolder + "': the repository '" + repo + "' has no folder '"
                            + subfolder + "' (its files: "
                            + files.stream().map(RemoteFile::path).limit(20).collect(Collectors.joining(", ")) + ")");
        }
        return chosen;
    }

    private static boolean isSubfolder(String value) {
        if (value.isEmpty()) {
            return false;
        }
        for (String p : value.split("/", -1)) {
            if (!SEGMENT.matcher(p).matches() || p.contains("..") || p.endsWith(".")) {
                return false;
            }
        }
        return true;
    }

    private static boolean holdsFiles(Path folder) {
        try (var entries = Files.list(folder)) {
            return entries.findAny().isPresent();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean isRepoId(String value, boolean huggingFace) {
        String[] parts = value.split("/", -1);
        if (parts.length > 2 || (parts.length == 1 && !huggingFace)) {
            return false;
        }
        for (String p : parts) {
            if (!SEGMENT.matcher(p).matches() || p.contains("..") || p.contains("--") || p.endsWith(".")) {
                return false;
            }
        }
        return true;
    }

    private String cacheName() {
        return options.useHf() ? "Hugging Face" : "ModelScope";
    }

    private static Path localPath(String value) {
        try {
            if (value.equals("~")) {
                return Path.of(System.getProperty("user.home"));
            }
            if (value.startsWith("~/")) {
                return Path.of(System.getProperty("user.home")).resolve(value.substring(2));
            }
            return Path.of(value);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
