package dev.osprey.hub;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.hub.HubException.Reason;
import dev.osprey.hub.impl.LocalFolder;
import dev.osprey.hub.impl.PartLedger;
import dev.osprey.hub.impl.Transfer;
import dev.osprey.hub.impl.Uploads;

/**
 * Uploads a folder to a Hugging Face model repository with the hub's HTTP commit API, as huggingface_hub's {@code
 * create_repo(exist_ok=True)} and {@code upload_folder} do:
 *
 * <ol>
 *   <li>{@code POST /api/repos/create} {@code {"name", "organization", "visibility"}}; 409 means it exists;
 *   <li>{@code POST /api/models/{repo}/preupload/{rev}} with each file's path, size and first 512 bytes (base64): the
 *       hub answers {@code uploadMode} {@code regular} or {@code lfs} per file;
 *   <li>for the LFS files, {@code POST {repo}.git/info/lfs/objects/batch} (Git LFS batch API, {@code sha256} object
 *       ids, transfers {@code basic} and {@code multipart}): an object without {@code actions} is already stored and
 *       is skipped; {@code basic} is one {@code PUT} of the file, {@code multipart} a {@code PUT} per {@code
 *       chunk_size} part to the URLs of the upload header, then a {@code POST} of the parts' ETags to the upload
 *       {@code href}; then {@code POST} of {@code {oid, size}} to the {@code verify} href;
 *   <li>{@code POST /api/models/{repo}/commit/{rev}} with NDJSON lines: a {@code header} (summary), a {@code file} per
 *       regular file (base64 content) and an {@code lfsFile} per LFS file ({@code sha256} oid and size).
 * </ol>
 *
 * <p>Resumable: an interrupted push leaves no commit; run again, the LFS objects the hub already has are skipped by
 * the batch answer and the parts of a multi-part upload that the storage accepted (recorded in {@link PartLedger}s
 * under {@code stateDir}) are not sent again when the hub offers the same upload. The token is sent only to the hub's
 * own origin, never to storage URLs, and is scrubbed from every message.
 */
public final class HuggingFacePush {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Files per preupload request and objects per LFS batch, as huggingface_hub sends them. */
    private static final int PREUPLOAD_CHUNK = 256;

    private final String endpoint;
    private final URI origin;
    private final Transfer transfer;
    private final DownloadProgress progress;
    private final int maxRetries;
    private final long retryBaseMillis;
    private final Path stateDir;

    /** With the options' endpoint and token, 3 retries, ledgers in {@code {hfCache}/.osprey-uploads}. */
    public HuggingFacePush(HubOptions options, DownloadProgress progress) {
        this(options, progress, null, 3, 1000, options.hfCache().resolve(".osprey-uploads"));
    }

    /**
     * @param client the HTTP client, null for the default one
     * @param maxRetries how often a failed request or part is sent again within one push
     * @param stateDir where the ledgers of multi-part uploads are kept between runs
     */
    public HuggingFacePush(
            HubOptions options,
            DownloadProgress progress,
            HttpClient client,
            int maxRetries,
            long retryBaseMillis,
            Path stateDir) {
        this.endpoint = options.hfEndpoint();
        this.origin = URI.create(endpoint + "/");
        this.progress = progress != null ? progress : DownloadProgress.NONE;
        this.transfer = new Transfer(client, options.token(), "HF_TOKEN", 0, 0, this.progress);
        this.maxRetries = maxRetries;
        this.retryBaseMillis = retryBaseMillis;
        this.stateDir = stateDir;
    }

    /** Creates the repository if needed, uploads the folder's files and commits them in one commit. */
    public PushResult push(PushRequest request) throws HubException {
        String repo = request.repoId();
        String rev = request.revision() != null ? request.revision() : HubOptions.HF_DEFAULT_REVISION;
        String what = "pushing " + request.folder() + " to Hugging Face model '" + repo + "'";
        if (!transfer.hasToken()) {
            throw new HubException(
                    Reason.UNAUTHORIZED, what + " needs a write token: pass --hub_token or set HF_TOKEN");
        }
        List<LocalFolder.Entry> files = listFiles(request.folder(), what);
        createRepo(repo, request.privateRepo(), what);
        Map<String, String> modes = uploadModes(repo, rev, files, what);
        List<LocalFolder.Entry> lfs = new ArrayList<>();
        Map<String, String> oids = new HashMap<>();
        for (LocalFolder.Entry f : files) {
            if ("lfs".equals(modes.get(f.path())) && f.size() > 0) {
                lfs.add(f);
                oids.put(f.path(), sha256(f, what));
            }
        }
        long[] sent = {0};
        int already = uploadLfs(repo, rev, lfs, oids, sent, what);
        JsonNode commit = commit(repo, rev, request.commitMessage(), files, modes, oids, what);
        return new PushResult(
                repo,
                commit.path("commitUrl").asText(endpoint + "/" + repo),
                commit.path("commitOid").asText(null),
                files.size(),
                lfs.size(),
                already,
                sent[0]);
    }

    private void createRepo(String repo, boolean privateRepo, String what) throws HubException {
        String[] parts = repo.split("/", 2);
        ObjectNode body = JSON.createObjectNode();
        body.put("name", parts[1]);
        body.put("organization", parts[0]);
        body.put("visibility", privateRepo ? "private" : "public");
        Transfer.Answer a = post(URI.create(endpoint + "/api/repos/create"), body, "creating the repository", what);
        if (a.status() / 100 == 2 || a.status() == 409) {
            return; // 409: it exists already (exist_ok=True)
        }
        if (a.status() == 403) {
            // a token that may write to an existing repository but not create one: fine when it exists
            Transfer.Answer info = retried(
                    "GET",
                    URI.create(endpoint + "/api/models/" + Transfer.encodePath(repo)),
                    Map.of(),
                    BodyPublishers.noBody(),
                    true,
                    what);
            if (info.status() == 200) {
                return;
            }
        }
        throw Uploads.error(transfer, a, what + " (creating the repository)", "Hugging Face", repo);
    }

    private Map<String, String> uploadModes(String repo, String rev, List<LocalFolder.Entry> files, String what)
            throws HubException {
        Map<String, String> modes = new HashMap<>();
        URI uri = URI.create(
                endpoint + "/api/models/" + Transfer.encodePath(repo) + "/preupload/" + Transfer.encodeComponent(rev));
        for (int from = 0; from < files.size(); from += PREUPLOAD_CHUNK) {
            ObjectNode body = JSON.createObjectNode();
            ArrayNode list = body.putArray("files");
            for (LocalFolder.Entry f : files.subList(from, Math.min(files.size(), from + PREUPLOAD_CHUNK))) {
                ObjectNode o = list.addObject();
                o.put("path", f.path());
                o.put("sample", Base64.getEncoder().encodeToString(sample(f, what)));
                o.put("size", f.size());
            }
            JsonNode answer = json(post(uri, body, "asking how to store the files", what), what, repo);
            for (JsonNode f : answer.path("files")) {
                String mode = f.path("uploadMode").asText("");
                if (!mode.equals("lfs") && !mode.equals("regular")) {
                    throw new HubException(
                            Reason.PROTOCOL,
                            what + " failed: " + uri + " gave upload mode '" + mode + "' for '"
                                    + f.path("path").asText() + "'");
                }
                modes.put(f.path("path").asText(), mode);
            }
        }
        for (LocalFolder.Entry f : files) {
            if (!modes.containsKey(f.path())) {
                throw new HubException(
                        Reason.PROTOCOL, what + " failed: the preupload answer does not mention '" + f.path() + "'");
            }
        }
        return modes;
    }

    /** Sends the LFS objects the hub lacks, 256 to a batch as huggingface_hub asks; returns how many it had already. */
    private int uploadLfs(
            String repo, String rev, List<LocalFolder.Entry> lfs, Map<String, String> oids, long[] sent, String what)
            throws HubException {
        int already = 0;
        for (int from = 0; from < lfs.size(); from += PREUPLOAD_CHUNK) {
            already += uploadLfsBatch(
                    repo, rev, lfs.subList(from, Math.min(lfs.size(), from + PREUPLOAD_CHUNK)), oids, sent, what);
        }
        return already;
    }

    private int uploadLfsBatch(
            String repo, String rev, List<LocalFolder.Entry> lfs, Map<String, String> oids, long[] sent, String what)
            throws HubException {
        URI batch = URI.create(endpoint + "/" + Transfer.encodePath(repo) + ".git/info/lfs/objects/batch");
        ObjectNode body = JSON.createObjectNode();
        body.put("operation", "upload");
        body.putArray("transfers").add("basic").add("multipart");
        ArrayNode objects = body.putArray("objects");
        for (LocalFolder.Entry f : lfs) {
            objects.addObject().put("oid", oids.get(f.path())).put("size", f.size());
        }
        body.put("hash_algo", "sha256");
        body.putObject("ref").put("name", rev);
        Transfer.Answer a =
                retried("POST", batch, Uploads.LFS_HEADERS, BodyPublishers.ofString(body.toString()), true, what);
        JsonNode answer = json(a, what + " (LFS batch)", repo);
        Map<String, JsonNode> byOid = new HashMap<>();
        for (JsonNode o : answer.path("objects")) {
            if (o.has("error")) {
                throw new HubException(
                        Reason.PROTOCOL,
                        transfer.scrub(what + " failed: the LFS batch refused object "
                                + o.path("oid").asText() + ": "
                                + o.path("error").path("message").asText() + " (code "
                                + o.path("error").path("code").asInt() + ")"));
            }
            byOid.put(o.path("oid").asText(), o);
        }
        int already = 0;
        for (LocalFolder.Entry f : lfs) {
            String oid = oids.get(f.path());
            JsonNode o = byOid.get(oid);
            if (o == null) {
                throw new HubException(
                        Reason.PROTOCOL, what + " failed: the LFS batch answer does not mention '" + f.path() + "'");
            }
            progress.started(f.path(), f.size());
            JsonNode actions = o.path("actions");
            if (actions.isMissingNode() || actions.isNull() || !actions.has("upload")) {
                progress.resumed(f.size()); // the hub has this content already
                progress.finished(f.path());
                already++;
                continue;
            }
            try {
                JsonNode upload = actions.path("upload");
                JsonNode header = upload.path("header");
                if (header.has("chunk_size")) {
                    sent[0] += multipart(f, oid, upload, header, what);
                } else {
                    basic(f, upload, what);
                    sent[0] += f.size();
                }
                if (actions.has("verify")) {
                    verify(f, oid, actions.path("verify"), what, repo);
                }
            } catch (HubException e) {
                progress.failed(f.path(), e);
                throw e;
            }
            progress.finished(f.path());
        }
        return already;
    }

    private void basic(LocalFolder.Entry f, JsonNode upload, String what) throws HubException {
        URI href = Uploads.resolve(endpoint, upload.path("href").asText());
        Map<String, String> headers = storageHeaders(upload.path("header"));
        String doing = what + " (uploading '" + f.path() + "')";
        Transfer.Answer a = Uploads.withRetries(
                Uploads.restartingProgress(
                        f,
                        progress,
                        () -> transfer.exchange(
                                "PUT",
                                href,
                                headers,
                                Uploads.slice(f.file(), 0, f.size(), progress),
                                false,
                                origin,
                                doing)),
                maxRetries,
                retryBaseMillis);
        if (a.status() / 100 != 2) {
            throw Uploads.error(transfer, a, doing, "Hugging Face", href.getPath());
        }
    }

    /** Sends the parts the ledger does not hold, then completes the upload; returns the bytes sent. */
    private long multipart(LocalFolder.Entry f, String oid, JsonNode upload, JsonNode header, String what)
            throws HubException {
        String doing = what + " (uploading '" + f.path() + "' in parts)";
        long chunk = header.path("chunk_size").asLong();
        TreeMap<Integer, URI> partUrls = new TreeMap<>();
        header.fields().forEachRemaining(e -> {
            if (e.getKey().matches("\\d+")) {
                partUrls.put(
                        Integer.parseInt(e.getKey()),
                        Uploads.resolve(endpoint, e.getValue().asText()));
            }
        });
        long expectedParts = (f.size() + chunk - 1) / chunk;
        if (chunk <= 0 || partUrls.size() != expectedParts) {
            throw new HubException(
                    Reason.PROTOCOL,
                    doing + " failed: the hub gave " + partUrls.size() + " part URLs of " + chunk
                            + " bytes for a file of " + f.size() + " bytes");
        }
        String completion = upload.path("href").asText();
        PartLedger ledger = PartLedger.open(stateDir, oid, completion, chunk);
        List<Map<String, Object>> parts = new ArrayList<>();
        long sentBytes = 0;
        int index = 0;
        for (Map.Entry<Integer, URI> part : partUrls.entrySet()) {
            int number = index + 1;
            long offset = chunk * index;
            long length = Math.min(chunk, f.size() - offset);
            index++;
            String etag = ledger.etag(number);
            if (etag == null) {
                Transfer.Answer a = Uploads.withRetries(
                        () -> transfer.exchange(
                                "PUT",
                                part.getValue(),
                                Map.of(),
                                Uploads.slice(f.file(), offset, length, progress),
                                false,
                                origin,
                                doing),
                        maxRetries,
                        retryBaseMillis);
                if (a.status() / 100 != 2) {
                    throw Uploads.error(transfer, a, doing + " part " + number, "Hugging Face", f.path());
                }
                etag = a.header("ETag").orElse("");
                if (etag.isEmpty()) {
                    throw new HubException(
                            Reason.PROTOCOL, doing + " failed: the storage gave no ETag for part " + number);
                }
                try {
                    ledger.accepted(number, etag);
                } catch (IOException e) {
                    throw new HubException(
                            Reason.LOCAL_IO,
                            doing + " failed: cannot record part " + number + " in " + stateDir + ": "
                                    + Transfer.describe(e),
                            e);
                }
                sentBytes += length;
            } else {
                progress.resumed(length); // accepted in an earlier run
            }
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("partNumber", number);
            p.put("etag", etag);
            parts.add(p);
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("oid", oid);
        body.set("parts", JSON.valueToTree(parts));
        URI done = Uploads.resolve(endpoint, completion);
        Transfer.Answer a =
                retried("POST", done, Uploads.LFS_HEADERS, BodyPublishers.ofString(body.toString()), false, doing);
        if (a.status() / 100 != 2) {
            throw Uploads.error(transfer, a, doing + " (completing)", "Hugging Face", f.path());
        }
        try {
            ledger.delete();
        } catch (IOException e) {
            // a stale ledger only means its parts are offered again to an upload that no longer exists
        }
        return sentBytes;
    }

    private void verify(LocalFolder.Entry f, String oid, JsonNode verify, String what, String repo)
            throws HubException {
        URI href = Uploads.resolve(endpoint, verify.path("href").asText());
        ObjectNode body = JSON.createObjectNode().put("oid", oid).put("size", f.size());
        Map<String, String> headers = new LinkedHashMap<>(storageHeaders(verify.path("header")));
        headers.putAll(Uploads.LFS_HEADERS);
        String doing = what + " (verifying '" + f.path() + "')";
        Transfer.Answer a = retried("POST", href, headers, BodyPublishers.ofString(body.toString()), true, doing);
        if (a.status() / 100 != 2) {
            throw Uploads.error(transfer, a, doing, "Hugging Face", repo);
        }
    }

    private JsonNode commit(
            String repo,
            String rev,
            String message,
            List<LocalFolder.Entry> files,
            Map<String, String> modes,
            Map<String, String> oids,
            String what)
            throws HubException {
        StringBuilder ndjson = new StringBuilder();
        ObjectNode header = JSON.createObjectNode();
        header.put("key", "header");
        header.putObject("value").put("summary", message).put("description", "");
        ndjson.append(header).append('\n');
        for (LocalFolder.Entry f : files) {
            ObjectNode line = JSON.createObjectNode();
            if (oids.containsKey(f.path())) {
                line.put("key", "lfsFile");
                line.putObject("value")
                        .put("path", f.path())
                        .put("algo", "sha256")
                        .put("oid", oids.get(f.path()))
                        .put("size", f.size());
            } else {
                line.put("key", "file");
                line.putObject("value")
                        .put("content", Uploads.inlineBase64(f, what, progress))
                        .put("path", f.path())
                        .put("encoding", "base64");
            }
            ndjson.append(line).append('\n');
        }
        URI uri = URI.create(
                endpoint + "/api/models/" + Transfer.encodePath(repo) + "/commit/" + Transfer.encodeComponent(rev));
        Transfer.Answer a = transfer.exchange(
                "POST",
                uri,
                Map.of("Content-Type", "application/x-ndjson"),
                BodyPublishers.ofString(ndjson.toString(), StandardCharsets.UTF_8),
                true,
                origin,
                what);
        return json(a, what + " (committing)", repo);
    }

    private Transfer.Answer post(URI uri, JsonNode body, String step, String what) throws HubException {
        return retried(
                "POST",
                uri,
                Map.of("Content-Type", "application/json"),
                BodyPublishers.ofString(body.toString()),
                true,
                what + " (" + step + ")");
    }

    /**
     * One exchange with the hub (or the storage it hands out), retried as all of them are; {@code body} is sent
     * again on each try, so it must be one that can be (a string, no body).
     */
    private Transfer.Answer retried(
            String method,
            URI uri,
            Map<String, String> headers,
            HttpRequest.BodyPublisher body,
            boolean authorize,
            String doing)
            throws HubException {
        return Uploads.withRetries(
                () -> transfer.exchange(method, uri, headers, body, authorize, origin, doing),
                maxRetries,
                retryBaseMillis);
    }

    private JsonNode json(Transfer.Answer a, String what, String repo) throws HubException {
        if (a.status() / 100 != 2) {
            throw Uploads.error(transfer, a, what, "Hugging Face", repo);
        }
        try {
            return JSON.readTree(a.body());
        } catch (IOException e) {
            throw new HubException(
                    Reason.PROTOCOL, what + " failed: " + a.uri() + " did not answer JSON: " + Transfer.describe(e), e);
        }
    }

    /** The headers a storage action asks for (not the multi-part URLs or the part size, which share the map). */
    private static Map<String, String> storageHeaders(JsonNode header) {
        Map<String, String> out = new LinkedHashMap<>();
        header.fields().forEachRemaining(e -> {
            if (!e.getKey().matches("\\d+") && !e.getKey().equals("chunk_size")) {
                out.put(e.getKey(), e.getValue().asText());
            }
        });
        return out;
    }

    static List<LocalFolder.Entry> listFiles(Path folder, String what) throws HubException {
        try {
            if (!Files.isDirectory(folder)) {
                throw new HubException(Reason.LOCAL_IO, what + " failed: " + folder + " is not a folder");
            }
            List<LocalFolder.Entry> files = LocalFolder.list(folder);
            if (files.isEmpty()) {
                throw new HubException(Reason.LOCAL_IO, what + " failed: " + folder + " holds no file to upload");
            }
            return files;
        } catch (HubException e) {
            throw e;
        } catch (IOException e) {
            throw new HubException(
                    Reason.LOCAL_IO, what + " failed: cannot list " + folder + ": " + Transfer.describe(e), e);
        }
    }

    static String sha256(LocalFolder.Entry f, String what) throws HubException {
        try {
            return f.sha256();
        } catch (IOException e) {
            throw new HubException(
                    Reason.LOCAL_IO, what + " failed: cannot read " + f.file() + ": " + Transfer.describe(e), e);
        }
    }

    private static byte[] sample(LocalFolder.Entry f, String what) throws HubException {
        try {
            return f.sample();
        } catch (IOException e) {
            throw new HubException(
                    Reason.LOCAL_IO, what + " failed: cannot read " + f.file() + ": " + Transfer.describe(e), e);
        }
    }
}
