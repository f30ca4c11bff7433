package dev.osprey.webapi.impl;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.zip.ZipException;

import dev.osprey.api.plugin.PluginInfo;

/**
 * The hot-deploy folder ({@code plugins/}) as the web UI changes it: an uploaded jar goes in only once it is
 * known to be an OSGi bundle that clashes with nothing installed, and it appears there whole (written beside
 * the folder, then moved in atomically), so the hot-deploy watcher never reads half a file; removing deletes
 * the jar, and the watcher uninstalls its bundle.
 */
final class PluginFolder {

    /** A plain jar name: no folder, no leading dot (the watcher's temporary files), nothing a shell would expand. */
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,200}\\.jar");

    /** A refusal with its HTTP status and the request field at fault. */
    static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final String param;

        Refusal(int status, String param, String message) {
            super(message);
            this.status = status;
            this.param = param;
        }
    }

    /** What went into the folder. */
    record Installed(String file, String symbolicName, String version) {}

    private final Path folder;
    private final long maxBytes;

    /**
     * @param folder the hot-deploy folder
     * @param maxBytes the largest jar accepted
     */
    PluginFolder(Path folder, long maxBytes) {
        this.folder = folder.toAbsolutePath().normalize();
        this.maxBytes = maxBytes;
    }

    Path folder() {
        return folder;
    }

    /**
     * Checks {@code body} as the jar {@code fileName} and moves it into the folder.
     *
     * @param installed the plugins installed now, whose symbolic names the new one must not repeat
     */
    Installed install(String fileName, InputStream body, List<PluginInfo> installed) throws IOException {
        checkName(fileName);
        Path target = folder.resolve(fileName);
        if (Files.exists(target)) {
            throw new Refusal(409, "file", "plugins/" + fileName + " is already there; remove it first to replace it");
        }
        Files.createDirectories(folder);
        // beside the folder, not in it: the watcher must not see the jar before it is whole and checked
        Path staging = Files.createTempFile(folder.getParent(), ".osprey-upload-", ".jar");
        try {
            copyAtMost(body, staging, fileName);
            Manifest manifest = manifestOf(staging, fileName);
            Attributes main = manifest.getMainAttributes();
            String symbolicName = main.getValue("Bundle-SymbolicName");
            if (symbolicName == null || symbolicName.isBlank()) {
                throw new Refusal(
                        400,
                        "file",
                        fileName + " is not an OSGi bundle: its manifest has no Bundle-SymbolicName (build the plugin"
                                + " with bnd-maven-plugin, as examples/reward-plugin does)");
            }
            if (!"2"
                    .equals(String.valueOf(main.getValue("Bundle-ManifestVersion"))
                            .trim())) {
                throw new Refusal(
                        400,
                        "file",
                        fileName + " is not an OSGi R4+ bundle: its manifest says Bundle-ManifestVersion "
                                + main.getValue("Bundle-ManifestVersion") + ", not 2");
            }
            symbolicName = symbolicName.split(";")[0].trim();
            String version = main.getValue("Bundle-Version") == null
                    ? "0.0.0"
                    : main.getValue("Bundle-Version").trim();
            for (PluginInfo plugin : installed) {
                if (plugin.symbolicName().equals(symbolicName) && plugin.bundleId() >= 0) {
                    throw new Refusal(
                            409,
                            "file",
                            fileName + " is bundle " + symbolicName + " " + version + ", which is already installed"
                                    + " (version " + plugin.version() + " from " + plugin.location()
                                    + "); remove that one first");
                }
            }
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException(
                        "cannot move the upload into " + folder + " atomically (" + staging
                                + " is on another file system)",
                        e);
            }
            return new Installed(fileName, symbolicName, version);
        } finally {
            Files.deleteIfExists(staging);
        }
    }

    /** Deletes {@code plugins/fileName}; the watcher then uninstalls its bundle. */
    void remove(String fileName) throws IOException {
        checkName(fileName);
        Path target = folder.resolve(fileName);
        if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new Refusal(404, "file", "there is no plugins/" + fileName + " to remove");
        }
        Files.delete(target);
    }

    /** A file name that stays in the folder: no path, no traversal, ends in .jar. */
    static void checkName(String fileName) {
        if (fileName == null || fileName.isEmpty()) {
            throw new Refusal(400, "file", "'file' is required: the jar's file name, such as length-reward.jar");
        }
        if (fileName.contains("/") || fileName.contains("\\") || fileName.contains("..")) {
            throw new Refusal(
                    400,
                    "file",
                    "'file' must be a file name without folders, such as length-reward.jar; got '" + fileName + "'");
        }
        if (!FILE_NAME.matcher(fileName).matches()) {
            throw new Refusal(
                    400,
                    "file",
                    "'file' must be a jar's name (letters, digits, . _ + -, ending in .jar); got '" + fileName + "'");
        }
    }

    private void copyAtMost(InputStream body, Path staging, String fileName) throws IOException {
        long written = 0;
        byte[] buffer = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(staging)) {
            for (int n; (n = body.read(buffer)) > 0; ) {
                written += n;
                if (written > maxBytes) {
                    throw new Refusal(
                            413,
                            "file",
                            fileName + " is larger than the " + maxBytes / (1024 * 1024) + " MiB a plugin may be");
                }
                out.write(buffer, 0, n);
            }
        }
        if (written == 0) {
            throw new Refusal(400, "file", fileName + " is empty: send the jar's bytes as the request body");
        }
    }

    private static Manifest manifestOf(Path jar, String fileName) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            if (manifest == null) {
                throw new Refusal(400, "file", fileName + " is not an OSGi bundle: it has no META-INF/MANIFEST.MF");
            }
            return manifest;
        } catch (ZipException e) {
            throw new Refusal(400, "file", fileName + " is not a jar (zip) file: " + e.getMessage());
        } catch (IOException e) {
            throw new Refusal(400, "file", fileName + " cannot be read as a jar: " + e.getMessage());
        }
    }
}
