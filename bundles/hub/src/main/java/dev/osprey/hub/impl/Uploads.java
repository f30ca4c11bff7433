package dev.osprey.hub.impl;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import dev.osprey.hub.DownloadProgress;
import dev.osprey.hub.HubException;
import dev.osprey.hub.HubException.Reason;

/** What both hubs' uploads share: file bodies that report progress, retries, and errors that name the repository. */
public final class Uploads {

    private Uploads() {}

    /**
     * A small file's content in base64, as both hubs take it inline in a commit; its whole size is reported to
     * {@code progress} at once.
     *
     * @throws HubException ({@link Reason#LOCAL_IO}) naming the file when it cannot be read
     */
    public static String inlineBase64(LocalFolder.Entry f, String what, DownloadProgress progress) throws HubException {
        byte[] content;
        try {
            content = Files.readAllBytes(f.file());
        } catch (IOException e) {
            throw new HubException(
                    Reason.LOCAL_IO, what + " failed: cannot read " + f.file() + ": " + Transfer.describe(e), e);
        }
        progress.started(f.path(), f.size());
        progress.advanced(f.size());
        progress.finished(f.path());
        return Base64.getEncoder().encodeToString(content);
    }

    /** {@code length} bytes of {@code file} from {@code offset}, each read reported to {@code progress}. */
    public static HttpRequest.BodyPublisher slice(Path file, long offset, long length, DownloadProgress progress) {
        return HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> open(file, offset, length, progress)), length);
    }

    private static InputStream open(Path file, long offset, long length, DownloadProgress progress) {
        try {
            InputStream in = Files.newInputStream(file);
            in.skipNBytes(offset);
            return new FilterInputStream(in) {
                long left = length;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    int n = super.read(b, off, (int) Math.min(len, left));
                    if (n > 0) {
                        left -= n;
                        progress.advanced(n);
                    }
                    return n;
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One request that is sent again after a connection failure or a 5xx/429 answer, up to {@code retries} times. */
    @FunctionalInterface
    public interface Attempt {
        Transfer.Answer send() throws HubException;
    }

    /**
     * {@code attempt}, which sends the whole of {@code f}, made to start the file's progress over on each retry: every
     * byte goes again, so the bytes of a failed try must not count.
     */
    public static Attempt restartingProgress(LocalFolder.Entry f, DownloadProgress progress, Attempt attempt) {
        int[] tries = {0};
        return () -> {
            if (tries[0]++ > 0) {
                progress.started(f.path(), f.size());
            }
            return attempt.send();
        };
    }

    /** Sends {@code attempt}, retrying transient failures with a doubling pause; the last answer or failure wins. */
    public static Transfer.Answer withRetries(Attempt attempt, int retries, long baseMillis) throws HubException {
        for (int i = 0; ; i++) {
            try {
                Transfer.Answer a = attempt.send();
                boolean transient_ = a.status() >= 500 || a.status() == 429 || a.status() == 408;
                if (!transient_ || i >= retries) {
                    return a;
                }
            } catch (HubException e) {
                if (e.reason() != Reason.NETWORK || i >= retries) {
                    throw e;
                }
            }
            try {
                Thread.sleep(Math.min(10_000L, baseMillis << Math.min(i, 10)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HubException(Reason.NETWORK, "the upload was interrupted", e);
            }
        }
    }

    /**
     * The error for a non-2xx answer during an upload, naming the repository and what to do: 401 (no token or a
     * rejected one), 403 (no write access), 404 (no such repository or revision), 409 (a conflict); the hub's own
     * message is kept, with the token scrubbed out of everything.
     */
    public static HubException error(Transfer transfer, Transfer.Answer a, String what, String hub, String repoId) {
        String body = a.body() == null ? "" : a.body().strip();
        if (body.length() > 300) {
            body = body.substring(0, 300) + "...";
        }
        String detail = body.isEmpty() ? "" : " (the hub says: " + body + ")";
        String setToken = "pass --hub_token or set " + transfer.tokenEnv();
        HubException e;
        switch (a.status()) {
            case 401 ->
                e = new HubException(
                        Reason.UNAUTHORIZED,
                        what + " failed: HTTP 401 Unauthorized from " + a.uri() + ": "
                                + (transfer.hasToken()
                                        ? "the " + hub + " token was rejected (invalid or expired); " + setToken
                                                + " with a valid write token"
                                        : "no token was sent; " + setToken)
                                + detail);
            case 403 ->
                e = new HubException(
                        Reason.UNAUTHORIZED,
                        what + " failed: HTTP 403 Forbidden from " + a.uri() + ": the token may not write to " + hub
                                + " repository '" + repoId + "' (a read-only token, or a namespace that is not yours)"
                                + detail);
            case 404 ->
                e = new HubException(
                        Reason.NOT_FOUND,
                        what + " failed: HTTP 404 Not Found from " + a.uri() + ": no " + hub + " repository '" + repoId
                                + "' or no such revision (or the token cannot see it)" + detail);
            case 409 ->
                e = new HubException(
                        Reason.CONFLICT,
                        what + " failed: HTTP 409 Conflict from " + a.uri() + ": " + hub + " repository '" + repoId
                                + "' is in a conflicting state (it exists as another kind of repository, or its branch moved"
                                + " during the upload: run the push again)" + detail);
            default ->
                e = new HubException(
                        Reason.PROTOCOL, what + " failed: HTTP " + a.status() + " from " + a.uri() + detail);
        }
        return scrubbed(transfer, e);
    }

    /** The same exception with the token scrubbed from its message. */
    public static HubException scrubbed(Transfer transfer, HubException e) {
        String clean = transfer.scrub(e.getMessage());
        return clean.equals(e.getMessage()) ? e : new HubException(e.reason(), clean, e.getCause());
    }

    /** {@code base + path}, for hrefs that a hub may give relative to itself. */
    public static URI resolve(String endpoint, String href) {
        return URI.create(endpoint + "/").resolve(href);
    }

    /** Headers of the Git LFS batch API. */
    public static final Map<String, String> LFS_HEADERS =
            Map.of("Accept", "application/vnd.git-lfs+json", "Content-Type", "application/vnd.git-lfs+json");
}
