package dev.osprey.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.api.plugin.PluginInventory;
import dev.osprey.api.plugin.PluginState;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/**
 * Hot deploy through the plugins folder, as an operator does it: drop a jar, replace it with version 2,
 * delete it; and broken plugins next to working ones, each named with its reason.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotDeployInFrameworkIT {

    private static final String REWARD_BUNDLE = "com.example.osprey.length-reward";

    @Inject
    BundleContext context;

    @Inject
    PluginInventory inventory;

    @Inject
    ExtensionRegistry registry;

    @Inject
    EngineRuntime engine;

    @Configuration
    public Option[] config() throws Exception {
        return TestPlatform.platform(TestPlatform.newPluginsDir(), TestPlatform.freePort());
    }

    private Path pluginsDir() {
        return Path.of(context.getProperty("felix.fileinstall.dir"));
    }

    private PluginInfo plugin(String name) {
        return inventory.plugins().stream()
                .filter(p -> p.symbolicName().equals(name))
                .findFirst()
                .orElse(null);
    }

    @Test
    public void dropReplaceAndDeleteWithoutRestart() throws Exception {
        Path v1 = TestPlatform.exampleJar("reward-plugin", "length-reward", "1.0.0");
        Path deployed = pluginsDir().resolve("length-reward.jar");

        long start = System.nanoTime();
        Files.copy(v1, pluginsDir().resolve("length-reward.jar.part"));
        Files.move(pluginsDir().resolve("length-reward.jar.part"), deployed);
        PluginInfo active = TestPlatform.waitFor(10_000, () -> {
            PluginInfo p = plugin(REWARD_BUNDLE);
            return p != null
                            && p.state() == PluginState.ACTIVE
                            && !p.extensions().isEmpty()
                    ? p
                    : null;
        });
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("hot deploy: active with its extension after " + millis + " ms");
        assertNotNull("the dropped plugin did not become active", active);
        assertEquals("1.0.0", active.version());
        assertTrue(active.hotDeployed());
        assertEquals("reward:custom_length", active.extensions().get(0).toString());

        TestPlatform.withVersion(v1, "2.0.0", deployed);
        PluginInfo updated = TestPlatform.waitFor(10_000, () -> {
            PluginInfo p = plugin(REWARD_BUNDLE);
            return p != null && p.version().equals("2.0.0") && !p.extensions().isEmpty() ? p : null;
        });
        assertNotNull("version 2 did not become active", updated);
        ExtensionInfo reward = registry.list(dev.osprey.api.plugin.ExtensionKind.REWARD_FUNCTION)
                .get(0);
        assertEquals("2.0.0", reward.bundleVersion());
        assertTrue(reward.description(), reward.description().contains("v2.0.0"));

        Files.delete(deployed);
        Object gone = TestPlatform.waitFor(10_000, () -> plugin(REWARD_BUNDLE) == null ? Boolean.TRUE : null);
        assertNotNull("the deleted plugin is still installed", gone);
        assertTrue(registry.list(dev.osprey.api.plugin.ExtensionKind.REWARD_FUNCTION)
                .isEmpty());
    }

    @Test
    public void brokenPluginsAreNamedWithTheirReasonAndNothingElseStops() throws Exception {
        Path dir = pluginsDir();
        Files.copy(TestPlatform.exampleJar("reward-plugin", "length-reward", "1.0.0"), dir.resolve("good.jar"));
        Files.copy(TestPlatform.exampleJar("faulty-plugin", "faulty-reward", "1.0.0"), dir.resolve("faulty.jar"));
        TestPlatform.writeJar(
                dir.resolve("bad-manifest.jar"),
                Map.of(
                        "Bundle-ManifestVersion",
                        "2",
                        "Bundle-SymbolicName",
                        "test.bad.manifest",
                        "Bundle-Version",
                        "1.0.not!a!version"),
                Map.of());
        TestPlatform.writeJar(
                dir.resolve("missing-import.jar"),
                Map.of(
                        "Bundle-ManifestVersion",
                        "2",
                        "Bundle-SymbolicName",
                        "test.missing.import",
                        "Bundle-Version",
                        "1.0.0",
                        "Import-Package",
                        "com.nowhere.missing;version=\"[1.0,2)\""),
                Map.of());
        TestPlatform.writeJar(dir.resolve("plain-library.jar"), Map.of("Created-By", "a plain jar"), Map.of());
        Files.writeString(dir.resolve("notes.txt"), "not a plugin");

        List<PluginInfo> plugins = TestPlatform.waitFor(15_000, () -> {
            List<PluginInfo> all = inventory.plugins();
            PluginInfo faulty = find(all, "com.example.osprey.faulty-reward");
            PluginInfo missing = find(all, "test.missing.import");
            PluginInfo good = find(all, REWARD_BUNDLE);
            boolean settled = faulty != null
                    && faulty.state() == PluginState.FAILED
                    && missing != null
                    && missing.state() == PluginState.FAILED
                    && good != null
                    && good.state() == PluginState.ACTIVE
                    && all.stream().noneMatch(p -> p.state() == PluginState.TRANSITIONING);
            return settled ? all : null;
        });
        assertNotNull("the plugins folder did not settle: " + inventory.plugins(), plugins);

        assertProblem(
                plugins,
                "com.example.osprey.faulty-reward",
                PluginState.FAILED,
                "component com.example.osprey.faulty.FaultyReward failed to activate");
        assertProblem(
                plugins, "com.example.osprey.faulty-reward", PluginState.FAILED, "faulty-reward refuses to start");
        assertProblem(plugins, "test.missing.import", PluginState.FAILED, "com.nowhere.missing");
        assertProblem(plugins, "bad-manifest.jar", PluginState.NOT_INSTALLED, "Bundle-Version '1.0.not!a!version'");
        assertProblem(plugins, "plain-library.jar", PluginState.NOT_INSTALLED, "no Bundle-SymbolicName");
        assertProblem(plugins, "notes.txt", PluginState.NOT_INSTALLED, "not a jar: ignored");

        // the working plugin, the engine and the HTTP API are unaffected
        try (ExtensionHandle<RewardFunction> reward = registry.require(RewardFunction.class, "custom_length")) {
            RewardSample sample = new RewardSample(List.of(ChatMessage.of("user", "q")), "fine", new int[0], Map.of());
            assertEquals(0.5, reward.get().score(List.of(sample))[0], 0);
        }
        try (NDManager m = engine.newManager(Device.cpu())) {
            assertEquals(6f, m.create(new float[] {1, 2, 3}).sum().getFloat(), 0f);
        }
        String port = System.getProperty("osprey.test.httpPort");
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/plugins"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertTrue(response.body().contains("\"name\" : \"test.missing.import\""));
        assertTrue(response.body().contains("reward"));
        assertTrue(response.body().contains("faulty-reward refuses to start"));
    }

    private static PluginInfo find(List<PluginInfo> plugins, String name) {
        return plugins.stream()
                .filter(p -> p.symbolicName().equals(name))
                .findFirst()
                .orElse(null);
    }

    private static void assertProblem(List<PluginInfo> plugins, String name, PluginState state, String reason) {
        PluginInfo p = find(plugins, name);
        assertNotNull(name + " is not listed: " + plugins, p);
        assertEquals(name, state, p.state());
        assertTrue(name + " problems " + p.problems(), p.problems().stream().anyMatch(s -> s.contains(reason)));
    }
}
