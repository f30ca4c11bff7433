package dev.osprey.itest;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.vmOption;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.ops4j.pax.exam.Option;

/**
 * The Osprey platform as the in-framework tests run it: Felix (forked JVM), SCR, Config Admin,
 * FileInstall, Gogo, the HTTP Whiteboard on Jetty, and the platform bundles built by this reactor.
 * Also the helpers the tests share: paths of built jars, waiting, and writing test bundles.
 */
final class TestPlatform {

    private TestPlatform() {}

    static Path root() {
        return Path.of(System.getProperty("osprey.root", "../.."))
                .toAbsolutePath()
                .normalize();
    }

    /** A jar built by this reactor, e.g. {@code bundles/kernel} and {@code osprey-kernel}. */
    static Path reactorJar(String module, String artifactId) {
        return root().resolve(module)
                .resolve("target")
                .resolve(artifactId + "-" + System.getProperty("osprey.version") + ".jar");
    }

    static Path exampleJar(String module, String artifactId, String version) {
        return root().resolve("examples")
                .resolve(module)
                .resolve("target")
                .resolve(artifactId + "-" + version + ".jar");
    }

    /** The platform, with a hot-deploy folder and an HTTP port of its own, plus {@code extra} options. */
    static Option[] platform(Path pluginsDir, int httpPort, Option... extra) {
        String localRepo = System.getProperty(
                "org.ops4j.pax.url.mvn.localRepository", System.getProperty("user.home") + "/.m2/repository");
        List<Option> options = new ArrayList<>(Arrays.asList(
                // pax-url-aether: the local repository only, so the tests run offline
                systemProperty("org.ops4j.pax.url.mvn.localRepository").value(localRepo),
                systemProperty("org.ops4j.pax.url.mvn.repositories").value(""),
                systemProperty("org.ops4j.pax.url.mvn.useFallbackRepositories").value("false"),
                systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"),
                vmOption("-Dai.djl.offline=true"),
                vmOption("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"),
                vmOption("-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"),
                frameworkProperty("felix.fileinstall.dir").value(pluginsDir.toString()),
                frameworkProperty("felix.fileinstall.poll").value("500"),
                frameworkProperty("felix.fileinstall.noInitialDelay").value("true"),
                frameworkProperty("felix.fileinstall.bundles.new.start").value("true"),
                frameworkProperty("felix.fileinstall.bundles.updateWithListeners")
                        .value("true"),
                frameworkProperty("felix.fileinstall.log.level").value("0"),
                frameworkProperty("gosh.args").value("--nointeractive"),
                frameworkProperty("org.osgi.service.http.port").value(Integer.toString(httpPort)),
                frameworkProperty("org.apache.felix.http.host").value("127.0.0.1"),
                systemProperty("osprey.test.httpPort").value(Integer.toString(httpPort)),
                mavenBundle("org.osgi", "org.osgi.util.function", "1.2.0"),
                mavenBundle("org.osgi", "org.osgi.util.promise", "1.3.0"),
                mavenBundle("org.osgi", "org.osgi.service.component", "1.5.1"),
                mavenBundle("org.apache.felix", "org.apache.felix.scr", "2.2.18"),
                mavenBundle("org.apache.felix", "org.apache.felix.configadmin", "1.9.26"),
                mavenBundle("org.apache.felix", "org.apache.felix.log", "1.3.0"),
                mavenBundle("org.apache.felix", "org.apache.felix.fileinstall", "3.7.4"),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.runtime", "1.1.6"),
                mavenBundle("org.apache.felix", "org.apache.felix.http.servlet-api", "6.1.0"),
                mavenBundle("commons-io", "commons-io", "2.19.0"),
                mavenBundle("commons-fileupload", "commons-fileupload", "1.6.0"),
                mavenBundle("com.fasterxml.jackson.core", "jackson-annotations", "2.23"),
                mavenBundle("com.fasterxml.jackson.core", "jackson-core", "2.23.0"),
                mavenBundle("com.fasterxml.jackson.core", "jackson-databind", "2.23.0"),
                mavenBundle("org.yaml", "snakeyaml", "2.5"),
                mavenBundle("com.fasterxml.jackson.dataformat", "jackson-dataformat-yaml", "2.23.0"),
                mavenBundle("info.picocli", "picocli", "4.7.7"),
                bundle(reactorJar("bundles/api", "osprey-api").toUri().toString()),
                bundle(reactorJar("bundles/engine", "osprey-engine").toUri().toString()),
                // Jetty logs through the slf4j API the engine exports, so it comes after the engine
                mavenBundle("org.apache.felix", "org.apache.felix.http.jetty12", "1.1.8"),
                bundle(reactorJar("bundles/kernel", "osprey-kernel").toUri().toString()),
                bundle(reactorJar("bundles/checkpoint", "osprey-checkpoint")
                        .toUri()
                        .toString()),
                bundle(reactorJar("bundles/hub", "osprey-hub").toUri().toString()),
                // the model core's SPI reads media with it (MediaProcessor)
                bundle(reactorJar("bundles/media", "osprey-media").toUri().toString()),
                bundle(reactorJar("bundles/model", "osprey-model").toUri().toString()),
                bundle(reactorJar("bundles/chat", "osprey-chat").toUri().toString()),
                bundle(reactorJar("bundles/dataset", "osprey-dataset").toUri().toString()),
                bundle(reactorJar("bundles/train", "osprey-train").toUri().toString()),
                bundle(reactorJar("bundles/align", "osprey-align").toUri().toString()),
                bundle(reactorJar("bundles/models", "osprey-models").toUri().toString()),
                bundle(reactorJar("bundles/export", "osprey-export").toUri().toString()),
                bundle(reactorJar("plugins-models/llama", "osprey-models-llama")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-models/qwen", "osprey-models-qwen")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-models/gemma", "osprey-models-gemma")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-models/hunyuan", "osprey-models-hunyuan")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-models/deepseek", "osprey-models-deepseek")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-models/qwen1", "osprey-models-qwen1")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-models/glm", "osprey-models-glm")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-models/internlm", "osprey-models-internlm")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-models/olmoe", "osprey-models-olmoe")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-models/cohere", "osprey-models-cohere")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-models/ernie", "osprey-models-ernie")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-models/phi3", "osprey-models-phi3")
                        .toUri()
                        .toString()),
                bundle(reactorJar("bundles/cli", "osprey-cli").toUri().toString()),
                bundle(reactorJar("bundles/webapi", "osprey-webapi").toUri().toString()),
                bundle(reactorJar("plugins-backends/target-cpu", "osprey-target-cpu")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-backends/target-cuda", "osprey-target-cuda")
                        .toUri()
                        .toString()),
                bundle(reactorJar("plugins-backends/target-ascend", "osprey-target-ascend")
                        .toUri()
                        .toString()),
                junitBundles()));
        options.addAll(Arrays.asList(extra));
        return options(options.toArray(new Option[0]));
    }

    /** A fresh hot-deploy folder under target/. */
    static Path newPluginsDir() throws IOException {
        Path target = Path.of(System.getProperty("basedir", "."), "target");
        Files.createDirectories(target);
        return Files.createTempDirectory(target, "plugins-");
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Polls {@code probe} until it returns non-null or {@code timeoutMillis} pass; returns the last result. */
    static <T> T waitFor(long timeoutMillis, Callable<T> probe) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        T value = probe.call();
        while (value == null && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
            value = probe.call();
        }
        return value;
    }

    /** A jar with this manifest and no classes: enough for bundles that only carry headers or data. */
    static void writeJar(Path target, Map<String, String> headers, Map<String, byte[]> entries) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        headers.forEach(main::putValue);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp);
                JarOutputStream jar = new JarOutputStream(os, manifest)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                jar.putNextEntry(new JarEntry(e.getKey()));
                jar.write(e.getValue());
                jar.closeEntry();
            }
        }
        // appear in the watched folder in one step, as a copy-then-rename deploy does
        Files.move(
                tmp,
                target,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** A copy of {@code source} whose Bundle-Version is {@code version}: a real update of the same bundle. */
    static void withVersion(Path source, String version, Path target) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (JarInputStream in = new JarInputStream(Files.newInputStream(source))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().putValue("Bundle-Version", version);
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(tmp), manifest)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        Files.move(
                tmp,
                target,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
