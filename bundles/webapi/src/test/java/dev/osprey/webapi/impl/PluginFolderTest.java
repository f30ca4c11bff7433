package dev.osprey.webapi.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.api.plugin.PluginState;

/** Real jars written to a real folder: what goes in, what is refused and why, and that nothing half-written shows. */
class PluginFolderTest {

    @TempDir
    Path home;

    Path plugins;
    PluginFolder folder;

    @BeforeEach
    void setUp() throws IOException {
        plugins = Files.createDirectories(home.resolve("plugins"));
        folder = new PluginFolder(plugins, 1024 * 1024);
    }

    static byte[] jar(String symbolicName, String version) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (symbolicName != null) {
            main.putValue("Bundle-ManifestVersion", "2");
            main.putValue("Bundle-SymbolicName", symbolicName + ";singleton:=true");
            main.putValue("Bundle-Version", version);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
            out.putNextEntry(new ZipEntry("com/example/Reward.class"));
            out.write(new byte[] {(byte) 0xCA, (byte) 0xFE});
            out.closeEntry();
        }
        return bytes.toByteArray();
    }

    PluginFolder.Installed install(String name, byte[] body, List<PluginInfo> installed) throws IOException {
        return folder.install(name, new ByteArrayInputStream(body), installed);
    }

    @Test
    void aBundleGoesInWholeAndNothingElseIsLeftBeside() throws IOException {
        byte[] body = jar("com.example.length-reward", "1.0.0");
        PluginFolder.Installed installed = install("length-reward.jar", body, List.of());
        assertEquals("com.example.length-reward", installed.symbolicName());
        assertEquals("1.0.0", installed.version());
        assertEquals(
                List.of(plugins.resolve("length-reward.jar")),
                Files.list(plugins).toList());
        assertTrue(java.util.Arrays.equals(body, Files.readAllBytes(plugins.resolve("length-reward.jar"))));
        try (var left = Files.list(home)) {
            assertEquals(List.of(plugins), left.toList(), "no staging file left beside the folder");
        }

        folder.remove("length-reward.jar");
        assertFalse(Files.exists(plugins.resolve("length-reward.jar")));
        PluginFolder.Refusal gone = assertThrows(PluginFolder.Refusal.class, () -> folder.remove("length-reward.jar"));
        assertEquals(404, gone.status);
    }

    @Test
    void refusesWhatIsNotABundleNamingTheFile() throws IOException {
        PluginFolder.Refusal text = assertThrows(
                PluginFolder.Refusal.class,
                () -> install("notes.jar", "not a plugin".getBytes(StandardCharsets.UTF_8), List.of()));
        assertEquals(400, text.status);
        assertTrue(text.getMessage().startsWith("notes.jar is not a jar"), text.getMessage());

        PluginFolder.Refusal plain =
                assertThrows(PluginFolder.Refusal.class, () -> install("plain.jar", jar(null, null), List.of()));
        assertEquals(400, plain.status);
        assertTrue(plain.getMessage().contains("plain.jar is not an OSGi bundle"), plain.getMessage());
        assertTrue(plain.getMessage().contains("Bundle-SymbolicName"), plain.getMessage());

        PluginFolder.Refusal empty =
                assertThrows(PluginFolder.Refusal.class, () -> install("empty.jar", new byte[0], List.of()));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());

        PluginFolder.Refusal big = assertThrows(
                PluginFolder.Refusal.class, () -> install("big.jar", new byte[2 * 1024 * 1024], List.of()));
        assertEquals(413, big.status);
        try (var files = Files.list(home)) {
            assertEquals(List.of(plugins), files.toList(), "refused uploads leave nothing behind");
        }
        assertEquals(0, Files.list(plugins).count());
    }

    @Test
    void refusesNameClashesAndPathsOutOfTheFolder() throws IOException {
        install("length-reward.jar", jar("com.example.length-reward", "1.0.0"), List.of());
        PluginFolder.Refusal sameFile = assertThrows(
                PluginFolder.Refusal.class,
                () -> install("length-reward.jar", jar("com.example.other", "1.0.0"), List.of()));
        assertEquals(409, sameFile.status);
        assertTrue(sameFile.getMessage().contains("plugins/length-reward.jar is already there"), sameFile.getMessage());

        PluginInfo running = new PluginInfo(
                42,
                "com.example.length-reward",
                "1.0.0",
                PluginState.ACTIVE,
                "file:" + plugins.resolve("length-reward.jar"),
                true,
                List.of(),
                List.of());
        PluginFolder.Refusal sameBundle = assertThrows(
                PluginFolder.Refusal.class,
                () -> install("length-reward-2.jar", jar("com.example.length-reward", "2.0.0"), List.of(running)));
        assertEquals(409, sameBundle.status);
        assertTrue(sameBundle.getMessage().contains("already installed"), sameBundle.getMessage());

        for (String bad : new String[] {"../evil.jar", "sub/evil.jar", "..\\evil.jar", ".hidden.jar", "evil.txt", ""}) {
            PluginFolder.Refusal refusal = assertThrows(
                    PluginFolder.Refusal.class, () -> install(bad, jar("com.example.evil", "1.0.0"), List.of()), bad);
            assertEquals(400, refusal.status, bad);
            assertEquals("file", refusal.param, bad);
            assertThrows(PluginFolder.Refusal.class, () -> folder.remove(bad), bad);
        }
        assertFalse(Files.exists(home.resolve("evil.jar")));
        assertTrue(Files.exists(plugins.resolve("length-reward.jar")), "a refused removal deletes nothing");
    }
}
