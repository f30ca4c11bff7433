package dev.osprey.hub;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.hub.HubException.Reason;
import dev.osprey.hub.impl.LocalFolder;
import dev.osprey.hub.impl.Transfer;
import dev.osprey.hub.impl.Uploads;

/**
 * Uploads a folder to a ModelScope model repository with the hub's HTTP API, as modelscope's {@code
 * HubApi.create_repo(exist_ok=True)} and {@code upload_folder} do. The token travels as modelscope's session cookie
 * ({@code m_session_id}), and only to the hub's own origin:
 *
 * <ol>
 *   <li>{@code POST /api/v1/login} {@code {"AccessToken"}} (checks the token);
 *   <li>{@code GET /api/v1/models/{owner}/{name}}: 404 means {@code POST /api/v1/models} {@code {"Path", "Name",
 *       "Visibility": 1 private | 5 public, "License", ...}};
 *   <li>per LFS file (larger than {@value #LFS_THRESHOLD} bytes or of a weight suffix, modelscope's {@code is_lfs}):
 *       {@code POST /api/v1/repos/models/{repo}/info/lfs/objects/batch} {@code {"operation": "upload", "objects":
 *       [{"oid": sha256, "size"}]}}; an object the answer does not list is stored already; else {@code PUT} of the file
 *       to its {@code actions.upload.href};
 *   <li>{@code POST /api/v1/repos/models/{repo}/commit/{rev}} {@code {"commit_message", "actions": [...]}}: {@code
 *       lfs} actions name the sha256 and size, {@code normal} ones carry the content in base64.
 * </ol>
 *
 * <p>Resumable: blobs sent by an interrupted push are skipped when it runs again (the hub does not list them).
 */
public final class ModelScopePush {

    /** modelscope's {@code UPLOAD_SIZE_THRESHOLD_TO_ENFORCE_LFS}: 1 MiB. */
    public static final long LFS_THRESHOLD = 1024 * 1024;

    /** modelscope's {@code MODEL_LFS_SUFFIX}: stored through LFS whatever their size. */
    static final Set<String> LFS_SUFFIXES = Set.of(
            ".7z",
            ".arrow",
            ".bin",
            ".bz2",
            ".ckpt",
            ".ftz",
            ".gz",
            ".h5",
            ".joblib",
            ".mlmodel",
            ".model",
            ".msgpack",
            ".npy",
            ".npz",
            ".onnx",
            ".ot",
            ".parquet",
            ".pb",
            ".pickle",
            ".pkl",
            ".pt",
            ".pth",
            ".rar",
            ".safetensors",
            ".tar",
            ".tflite",
            ".tgz",
            ".wasm",
            ".xz",
            ".zip",
            ".zst");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LICENSE = "Apache License 2.0";

    private final String endpoint;
    private final URI origin;
    private final String token;
    private final Transfer transfer;
    private final DownloadProgress progress;
    private final int maxRetries;
    private final long retryBaseMillis;

    public ModelScopePush(HubOptions options, DownloadProgress progress) {
        this(options, progress, null, 3, 1000);
    }

    public ModelScopePush(
            HubOptions options, DownloadProgress progress, HttpClient client, int maxRetries, long retryBaseMillis) {
        this.endpoint = options.modelscopeEndpoint();
        this.origin = URI.create(endpoint + "/");
        this.token = options.token();
        this.progress = progress != null ? progress : DownloadProgress.NONE;
        // the token goes as a cookie (below), not as a bearer header
        this.transfer = new Transfer(client, options.token(), "MODELSCOPE_API_TOKEN", 0, 0, this.progress);
        this.maxRetries = maxRetries;
        this.retryBaseMillis = retryBaseMillis;
    }

    /** Whether modelscope stores {@code path} of {@code size} bytes through LFS. */
    static boolean isLfs(String path, long size) {
        int dot = path.lastIndexOf('.');
        String suffix = dot < 0 || dot < path.lastIndexOf('/')
                ? ""
                : path.substring(dot).toLowerCase(Locale.ROOT);
        return size > LFS_THRESHOLD || LFS_SUFFIXES.contains(suffix);
    }

    /** Creates the repository if needed, uploads the folder's files and commits them in one commit. */
    public PushResult push(PushRequest request) throws HubException {
        String repo = request.repoId();
        String rev = request.revision() != null ? request.revision() : HubOptions.MODELSCOPE_DEFAULT_REVISION;
        String what = "pushing " + request.folder() + " to ModelScope model '" + repo + "'";
        if (token == null) {
            throw new HubException(
                    Reason.UNAUTHORIZED, what + " needs an SDK token: pass --hub_token or set MODELSCOPE_API_TOKEN");
        }
        List<LocalFolder.Entry> files = HuggingFacePush.listFiles(request.folder(), what);
        ObjectNode login = JSON.createObjectNode().put("AccessToken", token);
        ok(
                call("POST", URI.create(endpoint + "/api/v1/login"), login, what + " (logging in)"),
                what + " (logging in)",
                repo);
        ensureRepo(repo, request.privateRepo(), what);

        List<ObjectNode> actions = new ArrayList<>();
        int lfsFiles = 0;
        int already = 0;
        long sent = 0;
        for (LocalFolder.Entry f : files) {
            ObjectNode action = JSON.createObjectNode();
            if (isLfs(f.path(), f.size()) && f.size() > 0) {
                lfsFiles++;
                String oid = HuggingFacePush.sha256(f, what);
                progress.started(f.path(), f.size());
                boolean stored;
                try {
                    stored = uploadBlob(repo, f, oid, what);
                } catch (HubException e) {
                    progress.failed(f.path(), e);
                    throw e;
                }
                if (stored) {
                    already++;
                } else {
                    sent += f.size();
                }
                progress.finished(f.path());
                action.put("action", stored ? "update" : "create")
                        .put("path", f.path())
                        .put("type", "lfs")
                        .put("size", f.size())
                        .put("sha256", oid)
                        .put("content", "")
                        .put("encoding", "");
            } else {
                action.put("action", "create")
                        .put("path", f.path())
                        .put("type", "normal")
                        .put("size", f.size())
                        .put("sha256", "")
                        .put("content", Uploads.inlineBase64(f, what, progress))
                        .put("encoding", "base64");
            }
            actions.add(action);
        }
        ObjectNode commit = JSON.createObjectNode();
        commit.put("commit_message", request.commitMessage());
        ArrayNode list = commit.putArray("actions");
        actions.forEach(list::add);
        URI uri = URI.create(endpoint + "/api/v1/repos/models/" + Transfer.encodePath(repo) + "/commit/"
                + Transfer.encodeComponent(rev));
        String committing = what + " (committing)";
        Transfer.Answer a = transfer.exchange(
                "POST", uri, headers(), BodyPublishers.ofString(commit.toString()), false, origin, committing);
        ok(a, committing, repo);
        return new PushResult(repo, endpoint + "/models/" + repo, null, files.size(), lfsFiles, already, sent);
    }

    private void ensureRepo(String repo, boolean privateRepo, String what) throws HubException {
        String doing = what + " (looking the repository up)";
        Transfer.Answer exists = Uploads.withRetries(
                () -> transfer.exchange(
                        "GET",
                        URI.create(endpoint + "/api/v1/models/" + Transfer.encodePath(repo)),
                        headers(),
                        BodyPublishers.noBody(),
                        false,
                        origin,
                        doing),
                maxRetries,
                retryBaseMillis);
        if (exists.status() == 200) {
            return;
        }
        if (exists.status() != 404) {
            throw Uploads.error(transfer, exists, doing, "ModelScope", repo);
        }
        String[] parts = repo.split("/", 2);
        ObjectNode body = JSON.createObjectNode();
        body.put("Path", parts[0]);
        body.put("Name", parts[1]);
        body.putNull("ChineseName");
        body.put("Visibility", privateRepo ? 1 : 5);
        body.put("License", LICENSE);
        body.put("OriginalModelId", "");
        body.put("TrainId", "");
        String creating = what + " (creating the repository)";
        ok(call("POST", URI.create(endpoint + "/api/v1/models"), body, creating), creating, repo);
    }

    /** Sends the blob unless the hub has it; returns whether it had it. */
    private boolean uploadBlob(String repo, LocalFolder.Entry f, String oid, String what) throws HubException {
        ObjectNode body = JSON.createObjectNode();
        body.put("operation", "upload");
        body.putArray("objects").addObject().put("oid", oid).put("size", f.size());
        String checking = what + " (checking '" + f.path() + "')";
        URI batch =
                URI.create(endpoint + "/api/v1/repos/models/" + Transfer.encodePath(repo) + "/info/lfs/objects/batch");
        JsonNode answer = ok(call("POST", batch, body, checking), checking, repo);
        String href = null;
        for (JsonNode o : answer.path("Data").path("objects")) {
            if (oid.equals(o.path("oid").asText())) {
                href = o.path("actions").path("upload").path("href").asText(null);
            }
        }
        if (href == null) {
            progress.resumed(f.size()); // the hub has this content already
            return true;
        }
        URI target = Uploads.resolve(endpoint, href);
        String doing = what + " (uploading '" + f.path() + "')";
        Transfer.Answer a = Uploads.withRetries(
                Uploads.restartingProgress(f, progress, () -> {
                    Map<String, String> h = Transfer.sameOrigin(target, origin) ? headers() : Map.of();
                    return transfer.exchange(
                            "PUT", target, h, Uploads.slice(f.file(), 0, f.size(), progress), false, origin, doing);
                }),
                maxRetries,
                retryBaseMillis);
        ok(a, doing, repo);
        return false;
    }

    private Transfer.Answer call(String method, URI uri, JsonNode body, String what) throws HubException {
        Map<String, String> h = new LinkedHashMap<>(headers());
        h.put("Content-Type", "application/json");
        return Uploads.withRetries(
                () -> transfer.exchange(method, uri, h, BodyPublishers.ofString(body.toString()), false, origin, what),
                maxRetries,
                retryBaseMillis);
    }

    /** The session cookie modelscope's client sends ({@code get_cookies(access_token)}). */
    private Map<String, String> headers() {
        return Map.of("Cookie", "m_session_id=" + token);
    }

    /** The answer's JSON when the status is 2xx and modelscope's {@code Code} is 200 (or absent). */
    private JsonNode ok(Transfer.Answer a, String what, String repo) throws HubException {
        if (a.status() / 100 != 2) {
            throw Uploads.error(transfer, a, what, "ModelScope", repo);
        }
        JsonNode root;
        try {
            root = JSON.readTree(a.body() == null || a.body().isBlank() ? "{}" : a.body());
        } catch (IOException e) {
            throw new HubException(
                    Reason.PROTOCOL, what + " failed: " + a.uri() + " did not answer JSON: " + Transfer.describe(e), e);
        }
        int code = root.path("Code").asInt(200);
        boolean success = root.path("Success").asBoolean(true);
        if (code != 200 || !success) {
            throw Uploads.scrubbed(
                    transfer,
                    new HubException(
                            Reason.PROTOCOL,
                            what + " failed: " + a.uri() + " answered Code " + code + " (the hub says: "
                                    + root.path("Message").asText("") + ")"));
        }
        return root;
    }
}
