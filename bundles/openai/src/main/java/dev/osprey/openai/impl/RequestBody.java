package dev.osprey.openai.impl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Reads a request body whole, within {@link ServerLimits}: larger than {@code max_request_bytes} is 413,
 * a body that stalls for {@code read_timeout} is 408, one the container cannot read (a malformed or
 * cut-off chunked body) is 400. A request refused before its body was read (a wrong API key) has its
 * body {@linkplain #discard discarded}, within the same limits, so that the client, which is still
 * sending it, reads the answer and can go on using the connection.
 */
final class RequestBody {

    private static final String READ = RequestBody.class.getName() + ".read";
    private static final String FAILED = RequestBody.class.getName() + ".failed";

    private RequestBody() {}

    static byte[] read(HttpServletRequest request, ServerLimits limits, StallWatchdog watchdog) {
        long limit = limits.maxRequestBytes();
        long declared = request.getContentLengthLong();
        if (declared > limit) {
            throw ApiException.tooLarge("the request body has " + declared + " bytes; this server reads at most "
                    + limit + " (setting max_request_bytes)");
        }
        // grown as bytes arrive: a declared length alone must not make the server allocate it
        ByteArrayOutputStream body = new ByteArrayOutputStream((int) Math.min(Math.max(declared, 8192), 1 << 16));
        byte[] buffer = new byte[16384];
        try (StallWatchdog.Watch watch = watchdog.watch(limits.readTimeout().toMillis())) {
            try {
                InputStream in = request.getInputStream();
                int n;
                while ((n = in.read(buffer)) != -1) {
                    watch.progress();
                    if (body.size() + (long) n > limit) {
                        throw ApiException.tooLarge("the request body is larger than " + limit
                                + " bytes, the most this server reads (setting max_request_bytes)");
                    }
                    body.write(buffer, 0, n);
                }
            } catch (IOException | RuntimeException e) {
                request.setAttribute(FAILED, Boolean.TRUE);
                if (e instanceof ApiException api) {
                    throw api;
                }
                if (watch.stalled()) {
                    throw ApiException.timeout("the request body stalled: nothing arrived for "
                            + limits.readTimeout().toMillis() / 1000.0 + " s (setting read_timeout)");
                }
                // Jetty reports a malformed chunk or an early end of the body here
                throw ApiException.badRequest("the request body could not be read: " + describe(e), null);
            }
        }
        request.setAttribute(READ, Boolean.TRUE);
        return body.toByteArray();
    }

    /**
     * Reads and drops what is left of the body of a request refused before it was read.
     *
     * @return true when the connection can serve the next request; false when the body could not be
     *         read to its end within the limits (too large, malformed, stalled), so the connection must close
     */
    static boolean discard(HttpServletRequest request, ServerLimits limits, StallWatchdog watchdog) {
        if (request.getAttribute(READ) != null) {
            return true;
        }
        if (request.getAttribute(FAILED) != null || request.getContentLengthLong() > limits.maxRequestBytes()) {
            return false;
        }
        if (request.getContentLengthLong() <= 0 && request.getHeader("Transfer-Encoding") == null) {
            return true; // no body
        }
        try {
            read(request, limits, watchdog);
            return true;
        } catch (ApiException e) {
            return false;
        }
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
