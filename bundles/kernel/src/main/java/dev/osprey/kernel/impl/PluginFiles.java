package dev.osprey.kernel.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.osgi.framework.Constants;
import org.osgi.framework.Version;

import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.api.plugin.PluginState;

/**
 * The files of the hot-deploy folder that are not installed bundles, with the reason: not a jar, not a
 * bundle, or a manifest the framework refuses. FileInstall only logs such failures, so the reasons are
 * found again here by reading the manifest.
 */
final class PluginFiles {

    private PluginFiles() {}

    /**
     * @param scanGraceMillis a file younger than this, or any file while the platform is younger than
     *        this, may simply not have been scanned yet
     * @param platformAgeMillis how long the kernel has been running
     */
    static List<PluginInfo> notInstalled(Path dir, Set<Path> installed, long scanGraceMillis, long platformAgeMillis) {
        List<PluginInfo> result = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return result;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file :
                    files.map(p -> p.toAbsolutePath().normalize()).sorted().toList()) {
                String name = file.getFileName().toString();
                if (installed.contains(file)
                        || Files.isDirectory(file)
                        || name.startsWith(".")
                        || name.endsWith(".cfg")
                        || name.endsWith(".config")) {
                    continue; // configuration files go to Config Admin
                }
                List<String> problems = new ArrayList<>();
                PluginState state = PluginState.NOT_INSTALLED;
                if (!name.endsWith(".jar")) {
                    problems.add("not a jar: ignored");
                } else {
                    problems.addAll(manifestProblems(file));
                    if (problems.isEmpty()) {
                        long fileAge = System.currentTimeMillis()
                                - Files.getLastModifiedTime(file).toMillis();
                        if (fileAge < scanGraceMillis || platformAgeMillis < scanGraceMillis) {
                            state = PluginState.TRANSITIONING;
                            problems.add("waiting for the hot-deploy scanner");
                        } else {
                            problems.add("the framework refused to install it; a bundle with the same symbolic name and"
                                    + " version may already be installed");
                        }
                    }
                }
                result.add(new PluginInfo(-1, name, "", state, file.toString(), true, List.of(), problems));
            }
        } catch (IOException e) {
            result.add(new PluginInfo(
                    -1,
                    dir.toString(),
                    "",
                    PluginState.NOT_INSTALLED,
                    dir.toString(),
                    true,
                    List.of(),
                    List.of("the plugins folder cannot be read: " + e)));
        }
        return result;
    }

    /** What makes this jar's manifest unacceptable to the framework; empty when it looks installable. */
    static List<String> manifestProblems(Path jar) {
        List<String> problems = new ArrayList<>();
        Manifest manifest;
        try (JarFile file = new JarFile(jar.toFile())) {
            manifest = file.getManifest();
        } catch (IOException e) {
            problems.add("not a readable jar (" + e.getMessage() + "): ignored");
            return problems;
        }
        if (manifest == null) {
            problems.add("no META-INF/MANIFEST.MF, so not a bundle: ignored");
            return problems;
        }
        Attributes main = manifest.getMainAttributes();
        String symbolicName = main.getValue(Constants.BUNDLE_SYMBOLICNAME);
        if (symbolicName == null || symbolicName.isBlank()) {
            problems.add("no Bundle-SymbolicName in its manifest, so not an OSGi bundle: ignored");
            return problems;
        }
        String manifestVersion = main.getValue(Constants.BUNDLE_MANIFESTVERSION);
        if (manifestVersion != null && !manifestVersion.trim().equals("2")) {
            problems.add("bad manifest: Bundle-ManifestVersion must be 2, is '" + manifestVersion + "'");
        }
        String version = main.getValue(Constants.BUNDLE_VERSION);
        if (version != null) {
            try {
                Version.parseVersion(version.trim());
            } catch (IllegalArgumentException e) {
                problems.add(
                        "bad manifest: Bundle-Version '" + version + "' is not a version (" + e.getMessage() + ")");
            }
        }
        for (String header : List.of(Constants.IMPORT_PACKAGE, Constants.EXPORT_PACKAGE)) {
            String value = main.getValue(header);
            if (value != null
                    && (value.contains(",,")
                            || value.trim().endsWith(",")
                            || value.trim().startsWith(","))) {
                problems.add("bad manifest: " + header + " has an empty clause");
            }
        }
        return problems;
    }
}
