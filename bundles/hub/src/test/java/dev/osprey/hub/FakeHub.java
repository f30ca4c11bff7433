package dev.osprey.hub;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A local HTTP server with the URL layout of both hubs, serving one repository of a few small files.
 * Hugging Face: /api/models/{repo}/revision/{rev}, HEAD/GET /{repo}/resolve/{rev}/{file} (LFS files
 * redirect to /cdn/{sha256} with X-Linked-Etag/X-Linked-Size on the redirect). ModelScope:
 * /api/v1/models/{id}/repo/files and /api/v1/models/{id}/repo?Revision=&FilePath=.
 *
 * <p>It also takes uploads, with both hubs' upload APIs ({@link HubUploadApi}): what a commit brings becomes the
 * repository's files, served by the download routes above, so a push can be downloaded back.
 */
final class FakeHub implements AutoCloseable {

    /** One request as the server saw it. */
    record Request(String method, String path, String query, String range, String authorization) {
        @Override
        public String toString() {
            return method + " " + path + (query != null ? "?" + query : "") + (range != null ? " Range: " + range : "");
        }
    }

    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final String MODEL = "model.safetensors";

    final String repoId;
    final Map<String, byte[]> files = new LinkedHashMap<>();
    final Set<String> lfs = ConcurrentHashMap.newKeySet();
    final List<Request> log = Collections.synchronizedList(new ArrayList<>());
    /** Files whose next full GET sends half the bytes and then drops the connection. */
    final Set<String> dropOnce = ConcurrentHashMap.newKeySet();
    /** Files whose every GET drops the connection halfway. */
    final Set<String> dropAlways = ConcurrentHashMap.newKeySet();
    /** Files served with other content than their announced sha256. */
    final Map<String, byte[]> corrupt = new ConcurrentHashMap<>();

    volatile String requiredToken;

    /** Whether the repository exists (an {@link #empty} hub's comes into being when a push creates it). */
    volatile boolean exists = true;

    /** The upload side: both hubs' upload APIs, with the protocol checks. */
    final HubUploadApi uploads;

    private final HttpServer server;

    /** A hub where {@code repoId} does not exist yet: pushes create it. */
    static FakeHub empty(String repoId, String uploadToken) throws IOException {
        FakeHub hub = new FakeHub(repoId);
        hub.files.clear();
        hub.lfs.clear();
        hub.exists = false;
        hub.uploads.token = uploadToken;
        return hub;
    }

    FakeHub(String repoId) throws IOException {
        this.repoId = repoId;
        this.uploads = new HubUploadApi(this);
        Random random = new Random(42);
        byte[] weights = new byte[300_000];
        random.nextBytes(weights);
        files.put("config.json", "{\"model_type\":\"qwen3\",\"hidden_size\":64}".getBytes(StandardCharsets.UTF_8));
        files.put("tokenizer.json", "{\"version\":\"1.0\",\"model\":{}}".getBytes(StandardCharsets.UTF_8));
        files.put("README.md", "# tiny model\n".getBytes(StandardCharsets.UTF_8));
        files.put("nested/vocab.txt", "a\nb\nc\n".getBytes(StandardCharsets.UTF_8));
        files.put(MODEL, weights);
        lfs.add(MODEL);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    List<Request> requests(String method, String pathPart) {
        synchronized (log) {
            return log.stream()
                    .filter(r -> r.method().equals(method)
                            && (r.path().contains(pathPart)
                                    || (r.query() != null && r.query().contains(pathPart))))
                    .toList();
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String gitSha1(byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            md.update(("blob " + b.length + "\0").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    String etag(String file) {
        return lfs.contains(file) ? sha256(files.get(file)) : gitSha1(files.get(file));
    }

    // ------------------------------------------------------------------ dispatch

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String query = ex.getRequestURI().getRawQuery();
        log.add(new Request(
                ex.getRequestMethod(),
                path,
                query,
                ex.getRequestHeaders().getFirst("Range"),
                ex.getRequestHeaders().getFirst("Authorization")));
        try {
            if (path.startsWith("/cdn/")) {
                String sha = path.substring(5);
                String file = files.keySet().stream()
                        .filter(f -> sha256(files.get(f)).equals(sha))
                        .findFirst()
                        .orElse(null);
                if (file == null) {
                    send(ex, 404, "no such blob");
                } else {
                    serve(ex, file);
                }
                return;
            }
            if (requiredToken != null
                    && !("Bearer " + requiredToken)
                            .equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().set("X-Error-Code", "GatedRepo");
                send(ex, 401, "{\"error\":\"Access to model " + repoId + " is restricted.\"}");
                return;
            }
            if (uploads.handle(ex, path)) {
                return;
            }
            if (path.startsWith("/api/models/")) {
                hfListing(ex, path.substring("/api/models/".length()));
            } else if (path.startsWith("/api/v1/models/")) {
                modelscope(ex, path.substring("/api/v1/models/".length()), query);
            } else {
                hfResolve(ex, path.substring(1));
            }
        } finally {
            ex.close();
        }
    }

    private void hfListing(HttpExchange ex, String rest) throws IOException {
        int i = rest.indexOf("/revision/");
        String repo = i < 0 ? rest : rest.substring(0, i);
        String rev = i < 0 ? "main" : rest.substring(i + "/revision/".length());
        if (!repo.equals(repoId) || !exists) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            send(ex, 404, "{\"error\":\"Repository not found\"}");
            return;
        }
        if (!rev.equals("main") && !rev.equals(COMMIT)) {
            ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
            send(ex, 404, "{\"error\":\"Invalid rev id: " + rev + "\"}");
            return;
        }
        StringBuilder json = new StringBuilder("{\"id\":\"" + repoId + "\",\"sha\":\"" + COMMIT + "\",\"siblings\":[");
        boolean first = true;
        for (String f : files.keySet()) {
            json.append(first ? "" : ",").append("{\"rfilename\":\"").append(f).append("\"}");
            first = false;
        }
        send(ex, 200, json.append("]}").toString());
    }

    private void hfResolve(HttpExchange ex, String rest) throws IOException {
        // {org}/{name}/resolve/{rev}/{file}
        int i = rest.indexOf("/resolve/");
        if (i < 0 || !rest.substring(0, i).equals(repoId) || !exists) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            send(ex, 404, "Repository not found");
            return;
        }
        String after = rest.substring(i + "/resolve/".length());
        int j = after.indexOf('/');
        String rev = after.substring(0, j);
        String file = after.substring(j + 1);
        if (!rev.equals("main") && !rev.equals(COMMIT)) {
            ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
            send(ex, 404, "Revision not found");
            return;
        }
        if (!files.containsKey(file)) {
            ex.getResponseHeaders().set("X-Error-Code", "EntryNotFound");
            send(ex, 404, "Entry not found");
            return;
        }
        byte[] content = files.get(file);
        var h = ex.getResponseHeaders();
        h.set("X-Repo-Commit", COMMIT);
        if (lfs.contains(file)) {
            String sha = sha256(content);
            h.set("X-Linked-Etag", "\"" + sha + "\"");
            h.set("X-Linked-Size", String.valueOf(content.length));
            h.set("ETag", "W/\"" + gitSha1(content) + "\"");
            h.set("Location", endpoint() + "/cdn/" + sha);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        h.set("ETag", "\"" + gitSha1(content) + "\"");
        if (ex.getRequestMethod().equals("HEAD")) {
            h.set("Content-Length", String.valueOf(content.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        serve(ex, file);
    }

    private void modelscope(HttpExchange ex, String rest, String rawQuery) throws IOException {
        Map<String, String> q = query(rawQuery);
        String repo;
        boolean listing;
        if (rest.endsWith("/repo/files")) {
            repo = rest.substring(0, rest.length() - "/repo/files".length());
            listing = true;
        } else if (rest.endsWith("/repo")) {
            repo = rest.substring(0, rest.length() - "/repo".length());
            listing = false;
        } else {
            send(ex, 404, "{}");
            return;
        }
        if (!repo.equals(repoId) || !exists) {
            send(ex, 404, "{\"Code\":10010205001,\"Message\":\"model " + repo + " not found\",\"Success\":false}");
            return;
        }
        if (!"master".equals(q.get("Revision"))) {
            send(ex, 404, "{\"Code\":10010205002,\"Message\":\"revision not found\",\"Success\":false}");
            return;
        }
        if (listing) {
            StringBuilder json = new StringBuilder("{\"Code\":200,\"Data\":{\"Files\":[");
            json.append("{\"Name\":\"nested\",\"Path\":\"nested\",\"Type\":\"tree\",\"Size\":0,\"Sha256\":\"\"}");
            for (var e : files.entrySet()) {
                String name = e.getKey().substring(e.getKey().lastIndexOf('/') + 1);
                json.append(",{\"Name\":\"")
                        .append(name)
                        .append("\",\"Path\":\"")
                        .append(e.getKey())
                        .append("\",\"Type\":\"blob\",\"Size\":")
                        .append(e.getValue().length)
                        .append(",\"Sha256\":\"")
                        .append(sha256(e.getValue()))
                        .append("\",\"IsLFS\":")
                        .append(lfs.contains(e.getKey()))
                        .append("}");
            }
            send(
                    ex,
                    200,
                    json.append("]},\"Message\":\"success\",\"Success\":true}").toString());
            return;
        }
        String file = q.get("FilePath");
        if (file == null || !files.containsKey(file)) {
            send(ex, 404, "{\"Code\":10010205003,\"Message\":\"file not found\",\"Success\":false}");
            return;
        }
        serve(ex, file);
    }

    /** Sends the file, honouring Range: bytes=N-, corrupting or dropping as configured. */
    private void serve(HttpExchange ex, String file) throws IOException {
        byte[] content = corrupt.getOrDefault(file, files.get(file));
        String range = ex.getRequestHeaders().getFirst("Range");
        int from = 0;
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            if (from >= content.length) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + content.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            ex.getResponseHeaders()
                    .set("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
        }
        int length = content.length - from;
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", String.valueOf(length));
            ex.sendResponseHeaders(range != null ? 206 : 200, -1);
            return;
        }
        ex.sendResponseHeaders(range != null ? 206 : 200, length);
        OutputStream out = ex.getResponseBody();
        if (dropAlways.contains(file) || (range == null && dropOnce.remove(file))) {
            out.write(content, from, length / 2);
            out.flush();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("simulated connection drop"); // the server closes the connection
        }
        out.write(content, from, length);
    }

    static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null) {
            return q;
        }
        for (String kv : raw.split("&")) {
            int i = kv.indexOf('=');
            String k = URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8);
            String v = i < 0 ? "" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8);
            q.put(k, v);
        }
        return q;
    }
}
