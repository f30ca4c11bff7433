package dev.osprey.kernel.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.api.plugin.PluginState;

class PluginFilesTest {

    @TempDir
    Path dir;

    private Path jar(String name, Map<String, String> headers) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        headers.forEach(m.getMainAttributes()::putValue);
        Path p = dir.resolve(name);
        try (OutputStream os = Files.newOutputStream(p);
                JarOutputStream j = new JarOutputStream(os, m)) {
            // headers only
        }
        Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        return p;
    }

    @Test
    void namesWhyAFileIsNotABundle() throws IOException {
        jar("plain.jar", Map.of("Created-By", "someone"));
        jar(
                "bad-version.jar",
                Map.of("Bundle-ManifestVersion", "2", "Bundle-SymbolicName", "x", "Bundle-Version", "1.x.y.z"));
        jar(
                "bad-import.jar",
                Map.of("Bundle-ManifestVersion", "2", "Bundle-SymbolicName", "y", "Import-Package", "a,,b"));
        Files.writeString(dir.resolve("readme.txt"), "hi");
        Files.writeString(dir.resolve("app.cfg"), "key=value");
        Files.write(dir.resolve("broken.jar"), new byte[] {1, 2, 3});

        List<PluginInfo> files = PluginFiles.notInstalled(dir, Set.of(), 3000, 60_000);
        assertEquals(
                List.of("bad-import.jar", "bad-version.jar", "broken.jar", "plain.jar", "readme.txt"),
                files.stream().map(PluginInfo::symbolicName).toList());
        assertProblem(files, "plain.jar", "no Bundle-SymbolicName");
        assertProblem(files, "bad-version.jar", "Bundle-Version '1.x.y.z' is not a version");
        assertProblem(files, "bad-import.jar", "Import-Package has an empty clause");
        assertProblem(files, "broken.jar", "not a readable jar");
        assertProblem(files, "readme.txt", "not a jar: ignored");
        assertTrue(files.stream().allMatch(p -> p.state() == PluginState.NOT_INSTALLED && p.hotDeployed()));
    }

    @Test
    void aValidJarIsInTransitionUntilTheScannerHadItsChance() throws IOException {
        Path valid = jar(
                "valid.jar",
                Map.of("Bundle-ManifestVersion", "2", "Bundle-SymbolicName", "v", "Bundle-Version", "1.0.0"));
        assertEquals(
                PluginState.TRANSITIONING,
                PluginFiles.notInstalled(dir, Set.of(), 3000, 500).get(0).state());
        PluginInfo refused =
                PluginFiles.notInstalled(dir, Set.of(), 3000, 60_000).get(0);
        assertEquals(PluginState.NOT_INSTALLED, refused.state());
        assertTrue(
                refused.problems().get(0).contains("refused"),
                refused.problems().toString());
        assertTrue(PluginFiles.notInstalled(dir, Set.of(valid.toAbsolutePath().normalize()), 3000, 60_000)
                .isEmpty());
    }

    private static void assertProblem(List<PluginInfo> files, String name, String text) {
        PluginInfo p = files.stream()
                .filter(f -> f.symbolicName().equals(name))
                .findFirst()
                .orElseThrow();
        assertTrue(p.problems().stream().anyMatch(s -> s.contains(text)), name + ": " + p.problems());
    }
}
