package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model families are built on the model-family SPI alone: the bundles of {@code plugins-models/} and the
 * third-party OLMo example import the API, {@code dev.osprey.model.spi}, the media library {@code dev.osprey.media}
 * (a multimodal family's image processing, which the SPI's {@code MediaProcessor} reads with), building blocks another
 * family exports for reuse ({@code dev.osprey.models.siglip}: the SigLIP tower, whose layer norm LLaVA's CLIP tower reuses)
 * and libraries (DJL, OSGi), never the model core's internal packages ({@code dev.osprey.model.decoder}, {@code .nn},
 * {@code .load}).
 */
class ModelPluginImportsTest {

    /** Every model bundle of {@code plugins-models/} (a folder with a pom), and the OLMo example. */
    static Stream<String> modelBundles() throws IOException {
        Path root = TestPlatform.root();
        try (Stream<Path> folders = Files.list(root.resolve("plugins-models"))) {
            List<String> modules = folders.filter(f -> Files.isRegularFile(f.resolve("pom.xml")))
                    .map(f -> "plugins-models/" + f.getFileName())
                    .sorted()
                    .collect(Collectors.toCollection(ArrayList::new));
            assertTrue(modules.size() > 1, "no model bundles under " + root.resolve("plugins-models"));
            modules.add("examples/olmo-architecture");
            return modules.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("modelBundles")
    void importsOnlyTheApiTheSpiAndLibraries(String module) throws IOException {
        Path jar = module.startsWith("examples/")
                ? TestPlatform.exampleJar("olmo-architecture", "olmo-architecture", "1.0.0")
                : TestPlatform.reactorJar(module, "osprey-models-" + module.substring(module.indexOf('/') + 1));
        assertTrue(Files.isRegularFile(jar), "not built: " + jar);
        List<String> imports = imports(jar);
        assertTrue(imports.contains("dev.osprey.model.spi"), jar + " imports " + imports);
        List<String> others = imports.stream()
                .filter(p -> !p.equals("dev.osprey.model.spi")
                        && !p.equals("dev.osprey.media")
                        && !p.startsWith("dev.osprey.models.")
                        && !p.equals("dev.osprey.api")
                        && !p.startsWith("dev.osprey.api.")
                        && !p.startsWith("ai.djl.")
                        && !p.startsWith("org.osgi.")
                        && !p.startsWith("java."))
                .toList();
        assertEquals(List.of(), others, jar + " imports packages outside the API and the SPI");
    }

    /** The package names of the manifest's Import-Package, without their attributes. */
    private static List<String> imports(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            String header = file.getManifest().getMainAttributes().getValue("Import-Package");
            List<String> packages = new ArrayList<>();
            // split at commas outside quoted version ranges: "[1.0,2)"
            boolean quoted = false;
            StringBuilder clause = new StringBuilder();
            for (char c : (header + ",").toCharArray()) {
                if (c == '"') {
                    quoted = !quoted;
                }
                if (c == ',' && !quoted) {
                    packages.add(clause.toString().split(";")[0].trim());
                    clause.setLength(0);
                } else {
                    clause.append(c);
                }
            }
            return packages;
        }
    }
}
