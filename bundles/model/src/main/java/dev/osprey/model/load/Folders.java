package dev.osprey.model.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** Puts a fully written folder in place in one rename, so a crash never leaves half a checkpoint. */
public final class Folders {

    private Folders() {}

    /** Fills a folder. */
    @FunctionalInterface
    public interface Writer {
        void write(Path dir) throws IOException;
    }

    /**
     * Writes a folder atomically: {@code writer} fills a scratch folder beside {@code target}, which is
     * then renamed into place; on failure the scratch folder is removed and {@code target} is untouched.
     */
    public static void writeAtomically(Path target, Writer writer) throws IOException {
        Path tmp = scratchBeside(target);
        try {
            writer.write(tmp);
            replace(tmp, target);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /**
     * A new empty folder next to {@code target} (same file system, so the final rename is atomic), with
     * the permissions the umask gives, unlike a temporary directory's owner-only ones.
     */
    static Path scratchBeside(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        return Files.createDirectory(parent.resolve("." + target.getFileName() + ".tmp-" + System.nanoTime()));
    }

    /** Moves {@code written} to {@code target}, replacing (after the move succeeded) what was there. */
    static void replace(Path written, Path target) throws IOException {
        Path old = null;
        if (Files.exists(target)) {
            old = target.resolveSibling("." + target.getFileName() + ".old-" + System.nanoTime());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(written, target, StandardCopyOption.ATOMIC_MOVE);
        if (old != null) {
            deleteTree(old);
        }
    }

    public static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
