package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Drops an example plugin into the {@code plugins/} folder of a running {@code osprey serve}. */
final class HotDeploy {

    private HotDeploy() {}

    /**
     * Copies {@code examples/NAME}'s built jar into {@code home}'s plugins/ (whole, by a rename, as an operator
     * should) and waits until {@code base}'s {@code /api/plugins} lists every one of {@code listed} as a name.
     */
    static void example(Path home, String base, String example, String... listed) throws Exception {
        Path jar = TestPlatform.exampleJar(example, example, "1.0.0");
        Path plugins = home.resolve("plugins");
        Files.copy(jar, plugins.resolve(example + ".jar.part"));
        Files.move(plugins.resolve(example + ".jar.part"), plugins.resolve(example + ".jar"));
        assertNotNull(
                TestPlatform.waitFor(20_000, () -> {
                    String body = JsonHttp.get(base + "/api/plugins");
                    return body != null
                                    && Arrays.stream(listed).allMatch(n -> body.contains("\"name\" : \"" + n + "\""))
                            ? body
                            : null;
                }),
                () -> "examples/" + example + " was not deployed:\n" + log(home));
    }

    private static String log(Path home) {
        try {
            return Files.readString(home.resolve("serve.log"));
        } catch (IOException e) {
            return "(serve.log unreadable: " + e + ")";
        }
    }
}
