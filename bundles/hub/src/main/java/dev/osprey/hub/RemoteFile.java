package dev.osprey.hub;

/**
 * One file of a hub repository, as listed by the hub.
 *
 * @param path the file's path inside the repository ({@code /}-separated)
 * @param size its size in bytes, or -1 when the listing does not say
 * @param sha256 its sha256 (lower-case hex) when the listing says, else {@code null}
 */
public record RemoteFile(String path, long size, String sha256) {}
