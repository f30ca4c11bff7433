package dev.osprey.hub.impl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files of a folder to upload, as both hubs' clients list them: every regular file below it, sorted by path,
 * except {@code .git} and {@code .cache} folders (modelscope's {@code DEFAULT_IGNORE_PATTERNS}; huggingface_hub
 * skips the same) and Osprey's own partial-download files.
 */
public final class LocalFolder {

    /** One file: its path in the repository ({@code /}-separated), where it is, its size. */
    public record Entry(String path, Path file, long size) {

        /** The first 512 bytes, which the Hugging Face hub looks at to choose regular or LFS storage. */
        public byte[] sample() throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                return in.readNBytes(512);
            }
        }

        /** The file's SHA-256, lower-case hex (the LFS object id). */
        public String sha256() throws IOException {
            MessageDigest md;
            try {
                md = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            byte[] buf = new byte[1 << 16];
            try (InputStream in = Files.newInputStream(file)) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        }
    }

    private LocalFolder() {}

    /** The files to upload from {@code folder}; an empty list when it holds none. */
    public static List<Entry> list(Path folder) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (!Files.isRegularFile(p)) {
                    continue;
                }
                String rel = folder.relativize(p).toString().replace('\\', '/');
                if (ignored(rel)) {
                    continue;
                }
                out.add(new Entry(rel, p, Files.size(p)));
            }
        }
        out.sort((a, b) -> a.path().compareTo(b.path()));
        return out;
    }

    private static boolean ignored(String rel) {
        for (String part : rel.split("/")) {
            if (part.equals(".git") || part.equals(".cache")) {
                return true;
            }
        }
        return rel.endsWith(".incomplete")
                || rel.endsWith("/.osprey-download-incomplete")
                || rel.equals(".osprey-download-incomplete");
    }
}
