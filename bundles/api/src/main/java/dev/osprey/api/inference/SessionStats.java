package dev.osprey.api.inference;

/**
 * What a session's scheduler holds right now, for {@code GET /metrics}.
 *
 * @param running sequences in the running batch
 * @param waiting requests queued because the batch is at its limits
 * @param cachedTokens tokens held in the KV caches of the running sequences
 * @param maxCachedTokens the limit on {@code cachedTokens}; 0 when the backend has none it knows of
 */
public record SessionStats(int running, int waiting, long cachedTokens, long maxCachedTokens) {}
