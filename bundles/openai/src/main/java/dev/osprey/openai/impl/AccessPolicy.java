package dev.osprey.openai.impl;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Who may call which route. With an API key, every route needs {@code Authorization: Bearer KEY} but the
 * health checks ({@code /health}, {@code /ping}) and, unless {@code protect_metrics}, {@code /metrics}.
 * The admin routes (loading and unloading adapters, swapping the backend) are off unless
 * {@code enable_admin} is set or an {@code admin_api_key} is given, which they then need instead of the
 * API key.
 *
 * @param apiKey the key clients send; empty for none
 * @param adminApiKey the key of the admin routes; empty to use {@code apiKey}
 * @param enableAdmin the admin routes answer (also implied by an admin key)
 * @param protectMetrics {@code /metrics} needs the API key too
 */
record AccessPolicy(String apiKey, String adminApiKey, boolean enableAdmin, boolean protectMetrics) {

    static final AccessPolicy OPEN = new AccessPolicy("", "", false, false);

    AccessPolicy {
        apiKey = apiKey == null ? "" : apiKey;
        adminApiKey = adminApiKey == null ? "" : adminApiKey;
    }

    /** The routes that change what the server serves. */
    static boolean isAdminRoute(String method, String path) {
        return method.equals("POST")
                && (path.equals("/v1/load_lora_adapter")
                        || path.equals("/v1/unload_lora_adapter")
                        || path.equals("/v1/admin/backend"));
    }

    /**
     * Lets the request through, or refuses it: 401 for a missing or wrong key, 403 for an admin route
     * that is off.
     *
     * @param authorization the {@code Authorization} header, or null
     */
    void check(String method, String path, String authorization) {
        if (isAdminRoute(method, path)) {
            if (!enableAdmin && adminApiKey.isEmpty()) {
                throw new ApiException(
                        403,
                        "permission_error",
                        method + " " + path + " is off on this server; start it with"
                                + " --enable_admin (setting enable_admin) or an --admin_api_key to allow it",
                        null,
                        "admin_disabled");
            }
            requireKey(adminApiKey.isEmpty() ? apiKey : adminApiKey, authorization);
            return;
        }
        boolean open = ((path.equals("/health") || path.equals("/ping")) && method.equals("GET"))
                || (path.equals("/metrics") && method.equals("GET") && !protectMetrics)
                || (isWebUiPage(path) && (method.equals("GET") || method.equals("HEAD")));
        if (!open) {
            requireKey(apiKey, authorization);
        }
    }

    /**
     * The web UI's pages and scripts (and the root, which redirects to them): they hold no data, and the
     * page must load to ask for the key that its calls to the API then send.
     */
    static boolean isWebUiPage(String path) {
        return path.isEmpty() || path.equals("/") || path.equals("/ui") || path.startsWith("/ui/");
    }

    private static void requireKey(String key, String authorization) {
        if (key.isEmpty()) {
            return;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiException.unauthorized("missing API key: send it as 'Authorization: Bearer KEY'");
        }
        byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, key.getBytes(StandardCharsets.UTF_8))) {
            throw ApiException.unauthorized("incorrect API key provided");
        }
    }
}
