package dev.osprey.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

/**
 * The upload side of {@link FakeHub}: the Hugging Face hub's commit API (create, preupload, the Git LFS batch API with
 * basic and multi-part transfers and verify, the NDJSON commit) and ModelScope's (login, model lookup and creation,
 * the blob batch, blob PUT, the JSON commit), as their Python clients speak them. It stores what it receives and
 * checks the protocol as a real hub would: the token on every API call (Bearer for Hugging Face, the {@code
 * m_session_id} cookie for ModelScope) and never on a storage URL, the LFS media type, each object's size and sha256,
 * the parts' ETags, that a committed LFS file was uploaded. Every breach is recorded in {@link #violations} (tests
 * assert it stays empty) and answered with an error. A committed file becomes one of the repository's files, served
 * by the download routes.
 */
final class HubUploadApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final FakeHub hub;

    /** The write token; null accepts any. */
    volatile String token;
    /** A token that may read but not write: answered 403. */
    volatile String readOnlyToken;
    /** Hugging Face's preupload: LFS from this size (the real hub: 10 MB, or any binary sample). */
    volatile long lfsThreshold = 10_000;
    /** Objects from this size are offered a multi-part upload of {@link #chunkSize} parts. */
    volatile long multipartThreshold = 100_000;

    volatile long chunkSize = 64 * 1024;
    /** The next PUT of this part number drops the connection (once). */
    volatile int dropPart = -1;
    /** Answered with this status instead of committing (once). */
    volatile int commitStatus = -1;

    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    /** LFS objects stored, by sha256. */
    final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    /** Every storage PUT received: "basic oid", "part N", "ms oid". */
    final List<String> puts = Collections.synchronizedList(new ArrayList<>());
    /** Commits made: their summaries. */
    final List<String> commits = Collections.synchronizedList(new ArrayList<>());
    /** The visibility a created repository got: "private" or "public". */
    volatile String createdVisibility;
    /** Every Authorization and Cookie header received, to check the token went nowhere else. */
    final List<String> credentialsSeen = Collections.synchronizedList(new ArrayList<>());

    private final Map<String, Multipart> multipart = new ConcurrentHashMap<>();
    private final AtomicInteger uploadIds = new AtomicInteger();

    /** One multi-part upload in progress; offered again for the same object until completed. */
    private static final class Multipart {
        final String id;
        final String oid;
        final long size;
        final Map<Integer, byte[]> parts = new TreeMap<>();
        final Map<Integer, String> etags = new HashMap<>();

        Multipart(String id, String oid, long size) {
            this.id = id;
            this.oid = oid;
            this.size = size;
        }
    }

    HubUploadApi(FakeHub hub) {
        this.hub = hub;
    }

    /** Handles an upload route; false when the path is not one. */
    boolean handle(HttpExchange ex, String path) throws IOException {
        String method = ex.getRequestMethod();
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String cookie = ex.getRequestHeaders().getFirst("Cookie");
        String repoApi = "/api/models/" + hub.repoId;
        String msApi = "/api/v1/repos/models/" + hub.repoId;
        String lfsBase = "/" + hub.repoId + ".git/info/lfs/objects/";
        boolean route = (method.equals("POST") && path.equals("/api/repos/create"))
                || (method.equals("POST") && path.startsWith(repoApi + "/preupload/"))
                || (method.equals("POST") && path.startsWith(repoApi + "/commit/"))
                || path.startsWith(lfsBase)
                || path.startsWith("/storage/")
                || path.equals("/api/v1/login")
                || (method.equals("POST") && path.equals("/api/v1/models"))
                || (method.equals("GET") && path.equals("/api/v1/models/" + hub.repoId))
                || path.startsWith(msApi + "/")
                || path.startsWith("/msstorage/");
        if (!route) {
            return false;
        }
        if (auth != null) {
            credentialsSeen.add(auth);
        }
        if (cookie != null) {
            credentialsSeen.add(cookie);
        }
        byte[] body = ex.getRequestBody().readAllBytes();
        if (path.startsWith("/storage/") || path.startsWith("/msstorage/")) {
            storage(ex, path, body, auth, cookie);
        } else if (path.startsWith("/api/v1/") || path.startsWith(msApi)) {
            modelscope(ex, path, body, cookie, auth);
        } else {
            huggingFace(ex, path, body, auth, repoApi, lfsBase);
        }
        return true;
    }

    // ------------------------------------------------------------------ Hugging Face

    private void huggingFace(HttpExchange ex, String path, byte[] body, String auth, String repoApi, String lfsBase)
            throws IOException {
        if (auth == null
                || token != null && !auth.equals("Bearer " + token) && !auth.equals("Bearer " + readOnlyToken)) {
            ex.getResponseHeaders().set("X-Error-Code", "Unauthorized");
            FakeHub.send(ex, 401, "{\"error\":\"Invalid credentials in Authorization header\"}");
            return;
        }
        boolean readOnly = readOnlyToken != null && auth.equals("Bearer " + readOnlyToken);
        if (path.equals("/api/repos/create")) {
            JsonNode req = JSON.readTree(body);
            String id =
                    req.path("organization").asText() + "/" + req.path("name").asText();
            if (readOnly) {
                FakeHub.send(
                        ex, 403, "{\"error\":\"You don't have the rights to create a model under this namespace\"}");
            } else if (!id.equals(hub.repoId)) {
                violation("create names " + id + " instead of " + hub.repoId);
                FakeHub.send(ex, 400, "{\"error\":\"unexpected repository\"}");
            } else if (hub.exists) {
                FakeHub.send(ex, 409, "{\"error\":\"You already created this model repo\",\"url\":\"x\"}");
            } else {
                hub.exists = true;
                createdVisibility = req.path("visibility").asText(null);
                FakeHub.send(ex, 200, "{\"url\":\"" + hub.endpoint() + "/" + hub.repoId + "\"}");
            }
            return;
        }
        if (!hub.exists) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            FakeHub.send(ex, 404, "{\"error\":\"Repository not found\"}");
            return;
        }
        if (path.startsWith(repoApi + "/preupload/")) {
            if (!checkRevision(ex, path)) {
                return;
            }
            JsonNode req = JSON.readTree(body);
            ObjectNode answer = JSON.createObjectNode();
            ArrayNode files = answer.putArray("files");
            for (JsonNode f : req.path("files")) {
                byte[] sample = Base64.getDecoder().decode(f.path("sample").asText());
                long size = f.path("size").asLong();
                if (sample.length != Math.min(512, size)) {
                    violation("preupload sample of " + f.path("path").asText() + " has " + sample.length + " bytes");
                }
                boolean binary = false;
                for (byte b : sample) {
                    binary |= b == 0;
                }
                files.addObject()
                        .put("path", f.path("path").asText())
                        .put("uploadMode", size >= lfsThreshold || binary ? "lfs" : "regular")
                        .put("shouldIgnore", false);
            }
            FakeHub.send(ex, 200, answer.toString());
        } else if (path.equals(lfsBase + "batch")) {
            lfsBatch(ex, body);
        } else if (path.equals(lfsBase + "verify")) {
            JsonNode req = JSON.readTree(body);
            byte[] stored = objects.get(req.path("oid").asText());
            if (stored == null || stored.length != req.path("size").asLong()) {
                violation("verify of " + req + " that is not stored");
                FakeHub.send(ex, 404, "{\"error\":\"Object not found\"}");
            } else {
                FakeHub.send(ex, 200, "{\"success\":true}");
            }
        } else if (path.startsWith(repoApi + "/commit/")) {
            if (!checkRevision(ex, path)) {
                return;
            }
            if (readOnly) {
                FakeHub.send(ex, 403, "{\"error\":\"You don't have the rights to write to this repo\"}");
                return;
            }
            if (commitStatus > 0) {
                int status = commitStatus;
                commitStatus = -1;
                FakeHub.send(ex, status, "{\"error\":\"A commit has happened since. Please refresh and try again.\"}");
                return;
            }
            if (!"application/x-ndjson".equals(ex.getRequestHeaders().getFirst("Content-Type"))) {
                violation("commit Content-Type " + ex.getRequestHeaders().getFirst("Content-Type"));
            }
            hfCommit(ex, new String(body, StandardCharsets.UTF_8));
        } else {
            FakeHub.send(ex, 404, "{\"error\":\"no such route\"}");
        }
    }

    private boolean checkRevision(HttpExchange ex, String path) throws IOException {
        String rev = path.substring(path.lastIndexOf('/') + 1);
        if (!rev.equals("main")) {
            ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
            FakeHub.send(ex, 404, "{\"error\":\"Invalid rev id: " + rev + "\"}");
            return false;
        }
        return true;
    }

    private void lfsBatch(HttpExchange ex, byte[] body) throws IOException {
        String accept = ex.getRequestHeaders().getFirst("Accept");
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (!"application/vnd.git-lfs+json".equals(accept) || !"application/vnd.git-lfs+json".equals(type)) {
            violation("LFS batch without the git-lfs media type: Accept " + accept + ", Content-Type " + type);
        }
        JsonNode req = JSON.readTree(body);
        if (!"upload".equals(req.path("operation").asText())
                || !"sha256".equals(req.path("hash_algo").asText())) {
            violation("LFS batch " + req);
        }
        ObjectNode answer = JSON.createObjectNode();
        boolean anyMultipart = false;
        ArrayNode out = answer.putArray("objects");
        for (JsonNode o : req.path("objects")) {
            String oid = o.path("oid").asText();
            long size = o.path("size").asLong();
            ObjectNode obj = out.addObject().put("oid", oid).put("size", size).put("authenticated", true);
            if (!oid.matches("[0-9a-f]{64}")) {
                obj.putObject("error").put("code", 422).put("message", "oid is not a sha256");
                continue;
            }
            if (objects.containsKey(oid)) {
                continue; // stored already: no actions
            }
            ObjectNode actions = obj.putObject("actions");
            ObjectNode upload = actions.putObject("upload");
            if (size >= multipartThreshold) {
                anyMultipart = true;
                Multipart m = multipart.computeIfAbsent(
                        oid, k -> new Multipart("u" + uploadIds.incrementAndGet(), oid, size));
                upload.put("href", hub.endpoint() + "/storage/multipart/" + m.id + "/complete");
                ObjectNode header = upload.putObject("header");
                header.put("chunk_size", String.valueOf(chunkSize));
                long parts = (size + chunkSize - 1) / chunkSize;
                for (int p = 1; p <= parts; p++) {
                    header.put(String.format("%05d", p), hub.endpoint() + "/storage/multipart/" + m.id + "/" + p);
                }
            } else {
                upload.put("href", hub.endpoint() + "/storage/basic/" + oid);
            }
            actions.putObject("verify").put("href", hub.endpoint() + "/" + hub.repoId + ".git/info/lfs/objects/verify");
        }
        answer.put("transfer", anyMultipart ? "multipart" : "basic");
        ex.getResponseHeaders().set("Content-Type", "application/vnd.git-lfs+json");
        FakeHub.send(ex, 200, answer.toString());
    }

    private void hfCommit(HttpExchange ex, String ndjson) throws IOException {
        String[] lines = ndjson.split("\n");
        JsonNode header = JSON.readTree(lines[0]);
        if (!"header".equals(header.path("key").asText())) {
            violation("the commit's first line is not its header: " + lines[0]);
        }
        Map<String, byte[]> added = new HashMap<>();
        Set<String> lfsAdded = ConcurrentHashMap.newKeySet();
        for (int i = 1; i < lines.length; i++) {
            JsonNode line = JSON.readTree(lines[i]);
            JsonNode v = line.path("value");
            String path = v.path("path").asText();
            switch (line.path("key").asText()) {
                case "file" -> {
                    if (!"base64".equals(v.path("encoding").asText())) {
                        violation("file " + path + " not base64");
                    }
                    byte[] content =
                            Base64.getDecoder().decode(v.path("content").asText());
                    if (content.length >= lfsThreshold) {
                        violation("file " + path + " of " + content.length + " bytes sent inline, not through LFS");
                    }
                    added.put(path, content);
                }
                case "lfsFile" -> {
                    byte[] stored = objects.get(v.path("oid").asText());
                    if (stored == null
                            || stored.length != v.path("size").asLong()
                            || !"sha256".equals(v.path("algo").asText())) {
                        violation("lfsFile " + v + " was not uploaded");
                        FakeHub.send(
                                ex,
                                422,
                                "{\"error\":\"Your push was rejected because an LFS pointer points to a"
                                        + " file that does not exist\"}");
                        return;
                    }
                    added.put(path, stored);
                    lfsAdded.add(path);
                }
                default -> violation("unknown commit line " + lines[i]);
            }
        }
        hub.files.putAll(added);
        hub.lfs.addAll(lfsAdded);
        commits.add(header.path("value").path("summary").asText());
        FakeHub.send(
                ex,
                200,
                "{\"commitUrl\":\"" + hub.endpoint() + "/" + hub.repoId + "/commit/" + FakeHub.COMMIT
                        + "\",\"commitOid\":\"" + FakeHub.COMMIT + "\",\"success\":true}");
    }

    // ------------------------------------------------------------------ storage

    private void storage(HttpExchange ex, String path, byte[] body, String auth, String cookie) throws IOException {
        if (path.startsWith("/storage/") && (auth != null || cookie != null)) {
            violation("credentials sent to the storage URL " + path);
        }
        if (path.startsWith("/storage/basic/") && ex.getRequestMethod().equals("PUT")) {
            String oid = path.substring("/storage/basic/".length());
            puts.add("basic " + oid);
            store(ex, oid, body);
        } else if (path.startsWith("/storage/multipart/")) {
            String[] parts = path.substring("/storage/multipart/".length()).split("/");
            Multipart m = multipart.values().stream()
                    .filter(u -> u.id.equals(parts[0]))
                    .findFirst()
                    .orElse(null);
            if (m == null) {
                FakeHub.send(ex, 404, "<Error><Code>NoSuchUpload</Code></Error>");
            } else if (parts[1].equals("complete") && ex.getRequestMethod().equals("POST")) {
                complete(ex, m, body);
            } else if (ex.getRequestMethod().equals("PUT")) {
                int number = Integer.parseInt(parts[1]);
                if (number == dropPart) {
                    dropPart = -1;
                    throw new IllegalStateException("simulated connection drop"); // the server closes the connection
                }
                puts.add("part " + number);
                long expected = Math.min(chunkSize, m.size - chunkSize * (number - 1));
                if (body.length != expected) {
                    violation("part " + number + " has " + body.length + " bytes, not " + expected);
                }
                m.parts.put(number, body);
                String etag = "\"" + FakeHub.sha256(body).substring(0, 32) + "\"";
                m.etags.put(number, etag);
                ex.getResponseHeaders().set("ETag", etag);
                ex.sendResponseHeaders(200, -1);
            } else {
                FakeHub.send(ex, 405, "");
            }
        } else if (path.startsWith("/msstorage/") && ex.getRequestMethod().equals("PUT")) {
            if (token != null && !("m_session_id=" + token).equals(cookie)) {
                FakeHub.send(ex, 401, "{\"Code\":10010101001,\"Message\":\"not logged in\",\"Success\":false}");
                return;
            }
            String oid = path.substring("/msstorage/".length());
            puts.add("ms " + oid);
            if (!FakeHub.sha256(body).equals(oid)) {
                violation("blob " + oid + " arrived with sha256 " + FakeHub.sha256(body));
                FakeHub.send(ex, 400, "{\"Code\":400,\"Message\":\"sha256 mismatch\",\"Success\":false}");
                return;
            }
            objects.put(oid, body);
            FakeHub.send(ex, 200, "{\"Code\":200,\"Message\":\"success\",\"Success\":true}");
        } else {
            FakeHub.send(ex, 405, "");
        }
    }

    private void store(HttpExchange ex, String oid, byte[] body) throws IOException {
        if (!FakeHub.sha256(body).equals(oid)) {
            violation("object " + oid + " arrived with sha256 " + FakeHub.sha256(body));
            FakeHub.send(ex, 400, "<Error><Code>BadDigest</Code></Error>");
            return;
        }
        objects.put(oid, body);
        ex.getResponseHeaders().set("ETag", "\"" + oid.substring(0, 32) + "\"");
        ex.sendResponseHeaders(200, -1);
    }

    private void complete(HttpExchange ex, Multipart m, byte[] body) throws IOException {
        JsonNode req = JSON.readTree(body);
        if (!m.oid.equals(req.path("oid").asText())) {
            violation("completion of " + m.oid + " names " + req.path("oid").asText());
        }
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        int expectedNumber = 1;
        for (JsonNode p : req.path("parts")) {
            int number = p.path("partNumber").asInt();
            if (number != expectedNumber++ || !p.path("etag").asText().equals(m.etags.get(number))) {
                violation("completion part " + p + " does not match the part stored");
                FakeHub.send(ex, 400, "<Error><Code>InvalidPart</Code></Error>");
                return;
            }
            all.write(m.parts.get(number));
        }
        byte[] content = all.toByteArray();
        if (content.length != m.size || !FakeHub.sha256(content).equals(m.oid)) {
            violation("multi-part object " + m.oid + " assembled to " + content.length + " bytes of another sha256");
            FakeHub.send(ex, 400, "<Error><Code>BadDigest</Code></Error>");
            return;
        }
        objects.put(m.oid, content);
        multipart.remove(m.oid);
        FakeHub.send(ex, 200, "{}");
    }

    // ------------------------------------------------------------------ ModelScope

    private void modelscope(HttpExchange ex, String path, byte[] body, String cookie, String auth) throws IOException {
        String msApi = "/api/v1/repos/models/" + hub.repoId;
        if (path.equals("/api/v1/login")) {
            JsonNode req = JSON.readTree(body);
            if (token != null && !token.equals(req.path("AccessToken").asText())) {
                FakeHub.send(ex, 401, "{\"Code\":10010101001,\"Message\":\"invalid access token\",\"Success\":false}");
            } else {
                FakeHub.send(
                        ex,
                        200,
                        "{\"Code\":200,\"Data\":{\"AccessToken\":\"git-token\",\"Username\":\"u\",\"Email\":\"e\"},"
                                + "\"Success\":true}");
            }
            return;
        }
        if (token != null && !("m_session_id=" + token).equals(cookie)) {
            FakeHub.send(ex, 401, "{\"Code\":10010101001,\"Message\":\"not logged in\",\"Success\":false}");
            return;
        }
        if (auth != null) {
            violation("modelscope call with an Authorization header (its client sends the session cookie)");
        }
        if (path.equals("/api/v1/models/" + hub.repoId)) {
            if (hub.exists) {
                FakeHub.send(ex, 200, "{\"Code\":200,\"Data\":{\"Path\":\"x\"},\"Success\":true}");
            } else {
                FakeHub.send(ex, 404, "{\"Code\":10010205001,\"Message\":\"model not found\",\"Success\":false}");
            }
        } else if (path.equals("/api/v1/models")) {
            JsonNode req = JSON.readTree(body);
            String id = req.path("Path").asText() + "/" + req.path("Name").asText();
            if (!id.equals(hub.repoId)) {
                violation("create names " + id);
            }
            if (hub.exists) {
                FakeHub.send(ex, 409, "{\"Code\":10010205009,\"Message\":\"model exists\",\"Success\":false}");
                return;
            }
            hub.exists = true;
            createdVisibility = req.path("Visibility").asInt() == 1 ? "private" : "public";
            FakeHub.send(ex, 200, "{\"Code\":200,\"Data\":{},\"Success\":true}");
        } else if (!hub.exists) {
            FakeHub.send(ex, 404, "{\"Code\":10010205001,\"Message\":\"model not found\",\"Success\":false}");
        } else if (path.equals(msApi + "/info/lfs/objects/batch")) {
            JsonNode req = JSON.readTree(body);
            ObjectNode answer = JSON.createObjectNode().put("Code", 200).put("Success", true);
            ArrayNode out = answer.putObject("Data").putArray("objects");
            for (JsonNode o : req.path("objects")) {
                String oid = o.path("oid").asText();
                if (!objects.containsKey(oid)) {
                    out.addObject()
                            .put("oid", oid)
                            .putObject("actions")
                            .putObject("upload")
                            .put("href", hub.endpoint() + "/msstorage/" + oid);
                }
            }
            FakeHub.send(ex, 200, answer.toString());
        } else if (path.startsWith(msApi + "/commit/")) {
            String rev = path.substring(path.lastIndexOf('/') + 1);
            if (!rev.equals("master")) {
                FakeHub.send(ex, 404, "{\"Code\":10010205002,\"Message\":\"revision not found\",\"Success\":false}");
                return;
            }
            msCommit(ex, JSON.readTree(body));
        } else {
            FakeHub.send(ex, 404, "{}");
        }
    }

    private void msCommit(HttpExchange ex, JsonNode req) throws IOException {
        Map<String, byte[]> added = new HashMap<>();
        Set<String> lfsAdded = ConcurrentHashMap.newKeySet();
        for (JsonNode a : req.path("actions")) {
            String path = a.path("path").asText();
            if ("lfs".equals(a.path("type").asText())) {
                byte[] stored = objects.get(a.path("sha256").asText());
                if (stored == null || stored.length != a.path("size").asLong()) {
                    violation("lfs action " + a + " was not uploaded");
                    FakeHub.send(ex, 200, "{\"Code\":400,\"Message\":\"blob not found\",\"Success\":false}");
                    return;
                }
                added.put(path, stored);
                lfsAdded.add(path);
            } else {
                byte[] content = Base64.getDecoder().decode(a.path("content").asText());
                if (content.length != a.path("size").asLong()) {
                    violation("normal action " + path + " size " + a.path("size") + " for " + content.length);
                }
                added.put(path, content);
            }
        }
        hub.files.putAll(added);
        hub.lfs.addAll(lfsAdded);
        commits.add(req.path("commit_message").asText());
        FakeHub.send(ex, 200, "{\"Code\":200,\"Message\":\"success\",\"Success\":true}");
    }

    private void violation(String what) {
        violations.add(what);
    }
}
