package dev.osprey.hub.impl;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.osprey.hub.DownloadProgress;
import dev.osprey.hub.HubException;
import dev.osprey.hub.HubException.Reason;

/**
 * The HTTP side shared by both hubs: requests with manual redirect handling (the token is only sent
 * to the origin it was meant for), error mapping to {@link HubException}s that name the URL, and
 * resumable, verified downloads into an {@code .incomplete} file. Not thread-safe per download target.
 */
public final class Transfer {

    public static final int MAX_REDIRECTS = 10;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** A part of an upload may take long on a slow line. */
    private static final Duration UPLOAD_TIMEOUT = Duration.ofMinutes(30);

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
    private static final String USER_AGENT =
            "osprey-hub/1.0 (Java " + Runtime.version().feature() + ")";

    private final HttpClient client;
    private final String token;
    private final String tokenEnv;
    private final int maxRetries;
    private final long retryBaseMillis;
    private final DownloadProgress progress;

    /**
     * @param tokenEnv the environment variable users set the token with, for messages
     * @param maxRetries how many times a dropped or failed transfer is resumed within one call
     * @param retryBaseMillis the first retry waits this long, each next one twice as long (at most 10 s)
     */
    public Transfer(
            HttpClient client,
            String token,
            String tokenEnv,
            int maxRetries,
            long retryBaseMillis,
            DownloadProgress progress) {
        this.client = client != null ? client : defaultClient();
        this.token = token;
        this.tokenEnv = tokenEnv;
        this.maxRetries = Math.max(0, maxRetries);
        this.retryBaseMillis = Math.max(0, retryBaseMillis);
        this.progress = progress != null ? progress : DownloadProgress.NONE;
    }

    /** HTTP/1.1, no automatic redirects (they are followed here), 30 s connect timeout. */
    public static HttpClient defaultClient() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(30))
                .build();
    }

    /** A response whose (small) body was read as text. */
    public record Answer(int status, URI uri, HttpHeaders headers, String body) {

        public Optional<String> header(String name) {
            return headers.firstValue(name);
        }
    }

    /** GET with the body as text, following all redirects; any status is returned. */
    public Answer getText(URI uri, String what) throws HubException {
        HttpResponse<String> r =
                send("GET", uri, Map.of(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8), true, what);
        return new Answer(r.statusCode(), r.uri(), r.headers(), r.body());
    }

    /** HEAD following only relative redirects (like huggingface_hub), so that a CDN redirect's headers are kept. */
    public Answer head(URI uri, String what) throws HubException {
        HttpResponse<Void> r = send(
                "HEAD",
                uri,
                Map.of("Accept-Encoding", "identity"),
                HttpResponse.BodyHandlers.discarding(),
                false,
                what);
        return new Answer(r.statusCode(), r.uri(), r.headers(), "");
    }

    /**
     * One request with a body (uploads: JSON, NDJSON, file bytes), following no redirects. The token goes as
     * {@code Authorization: Bearer} only when {@code authorize} is set and the URL is on the hub's own origin
     * ({@code hubOrigin}), never to a storage URL the hub handed out. A connection failure is a {@link Reason#NETWORK}
     * exception, so callers may retry.
     */
    public Answer exchange(
            String method,
            URI uri,
            Map<String, String> headers,
            HttpRequest.BodyPublisher body,
            boolean authorize,
            URI hubOrigin,
            String what)
            throws HubException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .method(method, body)
                .timeout(UPLOAD_TIMEOUT)
                .header("User-Agent", USER_AGENT);
        headers.forEach(b::header);
        if (authorize && token != null && sameOrigin(uri, hubOrigin)) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Answer(r.statusCode(), r.uri(), r.headers(), r.body());
        } catch (IOException e) {
            throw new HubException(
                    Reason.NETWORK, scrub(what + " failed: cannot reach " + uri + ": " + describe(e)), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(Reason.NETWORK, what + " was interrupted while requesting " + uri, e);
        } catch (IllegalArgumentException e) {
            throw new HubException(
                    Reason.PROTOCOL, scrub(what + " failed: invalid URL " + uri + ": " + e.getMessage()), e);
        }
    }

    /** The text with every occurrence of the token replaced by {@code ***}: no message or file ever holds it. */
    public String scrub(String text) {
        return token == null || text == null ? text : text.replace(token, "***");
    }

    /** Whether a token is set (for messages that say which variable to set). */
    public boolean hasToken() {
        return token != null;
    }

    /** The environment variable users set the token with. */
    public String tokenEnv() {
        return tokenEnv;
    }

    /** Fails with a message naming {@code what} and the URL unless the status is 2xx. */
    public void check(Answer a, String what, String repoPage) throws HubException {
        if (a.status() / 100 != 2) {
            throw httpError(a.status(), a.uri(), a.headers(), a.body(), what, repoPage);
        }
    }

    /** A {@link HubException} for a non-2xx answer. */
    public HubException httpError(int status, URI uri, HttpHeaders headers, String body, String what, String repoPage) {
        String code = headers.firstValue("X-Error-Code").orElse("");
        String serverMessage = headers.firstValue("X-Error-Message").orElse(null);
        if (serverMessage == null && body != null && !body.isBlank()) {
            serverMessage = body.strip();
            if (serverMessage.length() > 300) {
                serverMessage = serverMessage.substring(0, 300) + "...";
            }
        }
        String detail = serverMessage == null ? "" : " (the hub says: " + serverMessage + ")";
        String noToken = token == null ? "; no token was sent: set " + tokenEnv : "";
        switch (status) {
            case 401:
                return new HubException(
                        Reason.UNAUTHORIZED,
                        what + " failed: HTTP 401 Unauthorized from " + uri
                                + ": the repository is gated or private and needs authentication"
                                + (token == null
                                        ? noToken
                                        : "; the token that was sent was rejected (invalid or expired)")
                                + detail);
            case 403:
                return new HubException(
                        Reason.UNAUTHORIZED,
                        what + " failed: HTTP 403 Forbidden from " + uri
                                + ": the repository is gated or private and "
                                + (token == null ? "needs authentication" + noToken : "the token has no access to it")
                                + (repoPage != null ? "; request access at " + repoPage : "") + detail);
            case 404: {
                String which;
                switch (code) {
                    case "RepoNotFound":
                        which = "no such repository (or it is private and needs a token)";
                        break;
                    case "RevisionNotFound":
                        which = "no such revision";
                        break;
                    case "EntryNotFound":
                        which = "no such file";
                        break;
                    default:
                        which = "no such repository, revision or file";
                }
                return new HubException(
                        Reason.NOT_FOUND, what + " failed: HTTP 404 Not Found from " + uri + ": " + which + detail);
            }
            default:
                return new HubException(Reason.PROTOCOL, what + " failed: HTTP " + status + " from " + uri + detail);
        }
    }

    /**
     * Downloads {@code url} into {@code incomplete}, continuing what is already there with
     * {@code Range: bytes=N-}, retrying dropped transfers up to {@code maxRetries} times, and verifies
     * the size and, when given, the sha256. On success {@code incomplete} holds the verified content
     * (the caller moves it into place); on an integrity failure it is deleted; on a network failure it
     * is kept so that the next call resumes.
     *
     * @param what describes the download for messages, e.g. "downloading 'x' of model 'y'"
     * @param name the file's repository path, for progress and messages
     * @param expectedSize the size the hub announced, or -1
     * @param expectedSha256 the sha256 the hub announced (hex), or {@code null}
     */
    public void download(
            URI url,
            String what,
            String name,
            Path incomplete,
            long expectedSize,
            String expectedSha256,
            String repoPage)
            throws HubException {
        try {
            Files.createDirectories(incomplete.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new HubException(
                    Reason.LOCAL_IO, what + " failed: cannot create " + incomplete.getParent() + ": " + describe(e), e);
        }
        progress.started(name, expectedSize);
        boolean first = true;
        int attempt = 0;
        MessageDigest digest;
        while (true) {
            long have = sizeOf(incomplete);
            if (expectedSize >= 0 && have > expectedSize) {
                deleteQuietly(incomplete);
                have = 0;
            }
            if (first && have > 0) {
                progress.resumed(have);
            }
            first = false;
            digest = expectedSha256 != null ? sha256() : null;
            if (expectedSize >= 0 && have == expectedSize && (have > 0 || Files.exists(incomplete))) {
                hashPrefix(incomplete, have, digest, what);
                break;
            }
            IOException failure;
            try {
                failure = transferOnce(url, what, name, incomplete, have, expectedSize, digest, repoPage);
            } catch (HubException e) {
                progress.failed(name, e);
                throw e;
            }
            if (failure == null) {
                break;
            }
            if (attempt >= maxRetries) {
                long kept = sizeOf(incomplete);
                HubException e = new HubException(
                        Reason.NETWORK,
                        what + " failed: the transfer from " + url
                                + " broke off (" + describe(failure) + ")"
                                + (attempt > 0 ? " after " + (attempt + 1) + " attempts" : "")
                                + (kept > 0
                                        ? "; the " + kept + " bytes received are kept in " + incomplete
                                                + " and the next run resumes from there"
                                        : ""),
                        failure);
                progress.failed(name, e);
                throw e;
            }
            sleep(Math.min(10_000L, retryBaseMillis << Math.min(attempt, 10)), what);
            attempt++;
        }
        verify(incomplete, url, what, name, expectedSize, expectedSha256, digest);
        progress.finished(name);
    }

    /** One GET; returns {@code null} on success, the failure when it may be retried; throws when it may not. */
    private IOException transferOnce(
            URI url,
            String what,
            String name,
            Path incomplete,
            long have,
            long expectedSize,
            MessageDigest digest,
            String repoPage)
            throws HubException {
        Map<String, String> headers = have > 0
                ? Map.of("Accept-Encoding", "identity", "Range", "bytes=" + have + "-")
                : Map.of("Accept-Encoding", "identity");
        HttpResponse<InputStream> r;
        try {
            r = send("GET", url, headers, HttpResponse.BodyHandlers.ofInputStream(), true, what);
        } catch (HubException e) {
            if (e.reason() == Reason.NETWORK && e.getCause() instanceof IOException io) {
                return io;
            }
            throw e;
        }
        try (InputStream in = r.body()) {
            int status = r.statusCode();
            long offset;
            if (status == 206) {
                offset = contentRangeStart(r.headers());
                if (offset != have) {
                    // the server answered another range than asked: start over
                    deleteQuietly(incomplete);
                    return new IOException("the server answered range start " + offset + " to a request for " + have);
                }
            } else if (status == 200) {
                offset = 0;
                if (have > 0) {
                    // the server ignores Range: the whole file comes again
                    progress.started(name, expectedSize);
                }
            } else if (status == 416) {
                deleteQuietly(incomplete);
                return new IOException("HTTP 416 Range Not Satisfiable for bytes=" + have + "-");
            } else if (status >= 500 || status == 429 || status == 408) {
                return new IOException("HTTP " + status + " from " + r.uri());
            } else {
                String body = readSome(in);
                throw httpError(status, r.uri(), r.headers(), body, what, repoPage);
            }
            hashPrefix(incomplete, offset, digest, what);
            try (FileChannel out = FileChannel.open(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                out.truncate(offset);
                out.position(offset);
                byte[] buf = new byte[1 << 16];
                IOException broken = null;
                while (true) {
                    int n;
                    try {
                        n = in.read(buf);
                    } catch (IOException e) {
                        // the network broke off: keep what arrived
                        broken = new IOException("reading " + r.uri() + " broke off", e);
                        break;
                    }
                    if (n < 0) {
                        break;
                    }
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) {
                        out.write(bb);
                    }
                    if (digest != null) {
                        digest.update(buf, 0, n);
                    }
                    progress.advanced(n);
                }
                out.force(true);
                if (broken != null) {
                    return broken;
                }
            } catch (IOException e) {
                throw new HubException(
                        Reason.LOCAL_IO, what + " failed: cannot write " + incomplete + ": " + describe(e), e);
            }
            long got = sizeOf(incomplete);
            if (expectedSize >= 0 && got < expectedSize) {
                return new IOException("the connection closed after " + got + " of " + expectedSize + " bytes");
            }
            return null;
        } catch (HubException e) {
            throw e;
        } catch (IOException e) {
            return e; // closing the body stream failed
        }
    }

    private void verify(
            Path file,
            URI url,
            String what,
            String name,
            long expectedSize,
            String expectedSha256,
            MessageDigest digest)
            throws HubException {
        long size = sizeOf(file);
        if (expectedSize >= 0 && size != expectedSize) {
            deleteQuietly(file);
            HubException e = new HubException(
                    Reason.INTEGRITY,
                    what + " failed: file '" + name + "' should be "
                            + expectedSize + " bytes but " + size + " bytes arrived from " + url
                            + "; the download was discarded");
            progress.failed(name, e);
            throw e;
        }
        if (digest != null) {
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equalsIgnoreCase(expectedSha256)) {
                deleteQuietly(file);
                HubException e = new HubException(
                        Reason.INTEGRITY,
                        what + " failed: file '" + name
                                + "' is corrupt: expected sha256 " + expectedSha256.toLowerCase(Locale.ROOT)
                                + " but the downloaded content has sha256 " + actual + " (from " + url
                                + "); the download was discarded");
                progress.failed(name, e);
                throw e;
            }
        }
    }

    /** Sends a request, following redirects (all of them, or only relative ones). */
    private <T> HttpResponse<T> send(
            String method,
            URI uri,
            Map<String, String> headers,
            BodyHandler<T> handler,
            boolean followAbsolute,
            String what)
            throws HubException {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(current)
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .timeout(REQUEST_TIMEOUT)
                    .header("User-Agent", USER_AGENT);
            headers.forEach(b::header);
            if (token != null && sameOrigin(current, uri)) {
                b.header("Authorization", "Bearer " + token);
            }
            HttpResponse<T> r;
            try {
                r = client.send(b.build(), handler);
            } catch (IOException e) {
                throw new HubException(
                        Reason.NETWORK, what + " failed: cannot reach " + current + ": " + describe(e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HubException(Reason.NETWORK, what + " was interrupted while requesting " + current, e);
            } catch (IllegalArgumentException e) {
                throw new HubException(
                        Reason.PROTOCOL, what + " failed: invalid URL " + current + ": " + e.getMessage(), e);
            }
            int s = r.statusCode();
            Optional<String> location = r.headers().firstValue("Location");
            if ((s == 301 || s == 302 || s == 303 || s == 307 || s == 308) && location.isPresent()) {
                URI target;
                try {
                    target = current.resolve(location.get());
                } catch (IllegalArgumentException e) {
                    throw new HubException(
                            Reason.PROTOCOL,
                            what + " failed: bad redirect from " + current + " to " + location.get(),
                            e);
                }
                boolean relative =
                        URI.create(location.get().replace(" ", "%20")).getAuthority() == null;
                if (!followAbsolute && !relative) {
                    return r;
                }
                if (r.body() instanceof InputStream in) {
                    try {
                        in.close();
                    } catch (IOException ignored) {
                        // nothing to release
                    }
                }
                if (hop >= MAX_REDIRECTS) {
                    throw new HubException(
                            Reason.PROTOCOL,
                            what + " failed: more than " + MAX_REDIRECTS + " redirects starting at " + uri);
                }
                current = target;
                continue;
            }
            return r;
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Moves atomically when the file system can, replacing the target. */
    public static void moveIntoPlace(Path from, Path to) throws IOException {
        Files.createDirectories(to.toAbsolutePath().getParent());
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Writes a small text file atomically (temporary file, then move). */
    public static void writeAtomically(Path file, String text) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(
                file.getFileName() + ".tmp" + ProcessHandle.current().pid());
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        moveIntoPlace(tmp, file);
    }

    /** Percent-encodes a URL path, keeping {@code /} (huggingface_hub's {@code quote(path, safe="/")}). */
    public static String encodePath(String path) {
        return encode(path, true);
    }

    /** Percent-encodes a query value or a single path segment ({@code /} encoded too). */
    public static String encodeComponent(String value) {
        return encode(value, false);
    }

    private static String encode(String s, boolean keepSlash) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '.'
                    || c == '_'
                    || c == '~'
                    || (keepSlash && c == '/')) {
                sb.append((char) c);
            } else {
                sb.append('%')
                        .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }

    /** The exception's class and message, and its cause's, for one-line messages. */
    public static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Throwable c = t;
        for (int depth = 0; c != null && depth < 3; depth++, c = c.getCause()) {
            if (depth > 0) {
                sb.append(" <- ");
            }
            sb.append(c.getClass().getSimpleName());
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                sb.append(": ").append(c.getMessage());
            }
        }
        return sb.toString();
    }

    public static boolean isSha256(String s) {
        return s != null && s.length() == 64 && s.chars().allMatch(ch -> Character.digit(ch, 16) >= 0);
    }

    /** Same scheme, host and port. */
    public static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null
                && a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost())
                && a.getPort() == b.getPort();
    }

    private static long contentRangeStart(HttpHeaders h) {
        String v = h.firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(v.trim());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private static long sizeOf(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void hashPrefix(Path file, long length, MessageDigest digest, String what) throws HubException {
        if (digest == null || length <= 0) {
            return;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            long left = length;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    break;
                }
                digest.update(buf, 0, n);
                left -= n;
            }
        } catch (IOException e) {
            throw new HubException(Reason.LOCAL_IO, what + " failed: cannot read " + file + ": " + describe(e), e);
        }
    }

    private static String readSome(InputStream in) {
        try {
            byte[] b = in.readNBytes(4096);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static void sleep(long millis, String what) throws HubException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(Reason.NETWORK, what + " was interrupted", e);
        }
    }
}
