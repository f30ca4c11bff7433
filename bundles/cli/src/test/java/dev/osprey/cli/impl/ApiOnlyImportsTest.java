package dev.osprey.cli.impl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;

/**
 * The command line reaches the platform through its API only: the bundle bnd built imports {@code dev.osprey.api.*}
 * and libraries (picocli, Jackson, the OSGi framework, DS and Gogo, the JDK), never an engine bundle's package.
 * Commands that need engine internals live in bundles of their own (bundles/devtools) and are contributed.
 */
class ApiOnlyImportsTest {

    /** The API, the libraries, and the package this bundle exports itself (for commands contributed by other bundles). */
    private static final List<String> ALLOWED = List.of(
            "dev.osprey.api",
            "java.",
            "javax.",
            "picocli",
            "com.fasterxml.jackson.",
            "org.osgi.",
            "org.apache.felix.service.command",
            "dev.osprey.cli.spi");

    @Test
    void theBundleImportsOnlyApiPackagesAndLibraries() throws Exception {
        Path manifest = Path.of("target/classes/META-INF/MANIFEST.MF");
        assertTrue(Files.isRegularFile(manifest), "bnd writes " + manifest + " when it builds the bundle");
        String imports;
        try (InputStream in = Files.newInputStream(manifest)) {
            imports = new Manifest(in).getMainAttributes().getValue("Import-Package");
        }
        List<String> packages = packageNames(imports);
        assertTrue(
                packages.contains("dev.osprey.api.jobs") && packages.contains("picocli"),
                "the imports as read: " + packages);
        List<String> offending = packages.stream()
                .filter(p -> ALLOWED.stream().noneMatch(a -> p.equals(a) || p.startsWith(a) || p.startsWith(a + ".")))
                .toList();
        assertFalse(
                !offending.isEmpty(),
                "the CLI imports packages that are not the API's: " + String.join(", ", offending)
                        + "; go through an API service, or move the command into a contributing bundle (bundles/devtools)");
    }

    /** The package names of an Import-Package header: clauses split at commas outside quoted attribute values. */
    static List<String> packageNames(String header) {
        List<String> names = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i <= header.length(); i++) {
            if (i == header.length() || header.charAt(i) == ',' && !quoted) {
                String clause = header.substring(start, i);
                names.add(clause.split(";", 2)[0].trim());
                start = i + 1;
            } else if (header.charAt(i) == '"') {
                quoted = !quoted;
            }
        }
        return names;
    }
}
