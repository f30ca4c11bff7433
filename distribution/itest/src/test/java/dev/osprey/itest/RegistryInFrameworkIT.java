package dev.osprey.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.hardware.DeviceSelector;
import dev.osprey.api.model.ModelEntry;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.ExtensionListener;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/** The kernel's registries see DS components and registry data arrive and leave. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RegistryInFrameworkIT {

    @Inject
    BundleContext context;

    @Inject
    ExtensionRegistry registry;

    @Inject
    ModelRegistry models;

    @Inject
    DeviceSelector devices;

    @Inject
    CommandProcessor gogo;

    @Inject
    dev.osprey.api.plugin.PluginInventory inventory;

    @Configuration
    public Option[] config() throws Exception {
        return TestPlatform.platform(TestPlatform.newPluginsDir(), TestPlatform.freePort());
    }

    @Test
    public void theBuiltInHardwareTargetsAreRegistered() {
        List<String> names = registry.list(ExtensionKind.HARDWARE_TARGET).stream()
                .map(ExtensionInfo::name)
                .toList();
        assertEquals(List.of("cpu", "cuda", "npu"), names);
    }

    @Test
    public void theModelBundlesBringTheirArchitecturesAndRegistryEntries() throws Exception {
        // what the registry lists is the expectation (a new family needs no edit here); the qwen bundle's part of it is
        // checked
        List<ExtensionInfo> architectures = registry.list(ExtensionKind.MODEL_ARCHITECTURE);
        List<String> ofQwen = architectures.stream()
                .filter(a -> "dev.osprey.models.qwen".equals(a.bundleSymbolicName()))
                .map(ExtensionInfo::name)
                .toList();
        assertEquals(List.of("mimo", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "qwen3_next"), ofQwen);
        List<String> withoutQwen = architectures.stream()
                .map(ExtensionInfo::name)
                .filter(n -> !ofQwen.contains(n))
                .toList();
        assertTrue("architectures of other bundles: " + withoutQwen, withoutQwen.contains("llama"));
        assertTrue("registry size " + models.entries().size(), models.entries().size() >= 300);
        assertEquals("qwen3", models.find("Qwen/Qwen3-0.6B").orElseThrow().modelType());
        assertEquals(
                "llama",
                models.find("LLM-Research/Meta-Llama-3.1-8B-Instruct")
                        .orElseThrow()
                        .modelType());
        Bundle qwen = java.util.Arrays.stream(context.getBundles())
                .filter(b -> "dev.osprey.models.qwen".equals(b.getSymbolicName()))
                .findFirst()
                .orElseThrow();
        qwen.stop();
        try {
            assertTrue(models.find("Qwen/Qwen3-0.6B").isEmpty());
            assertEquals(
                    withoutQwen,
                    registry.list(ExtensionKind.MODEL_ARCHITECTURE).stream()
                            .map(ExtensionInfo::name)
                            .toList());
        } finally {
            qwen.start();
        }
        assertTrue(models.find("Qwen/Qwen3-0.6B").isPresent());
    }

    @Test
    public void aRewardComponentArrivesAndLeavesWithItsBundle() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        ServiceRegistration<ExtensionListener> listener = context.registerService(
                ExtensionListener.class,
                new ExtensionListener() {
                    @Override
                    public void added(ExtensionInfo e) {
                        events.add("+" + e);
                    }

                    @Override
                    public void removed(ExtensionInfo e) {
                        events.add("-" + e);
                    }
                },
                null);
        Bundle plugin = context.installBundle(TestPlatform.exampleJar("reward-plugin", "length-reward", "1.0.0")
                .toUri()
                .toString());
        try {
            plugin.start();
            ExtensionInfo info = TestPlatform.waitFor(
                    5000,
                    () -> registry.list(ExtensionKind.REWARD_FUNCTION).stream()
                            .filter(e -> e.name().equals("custom_length"))
                            .findFirst()
                            .orElse(null));
            assertNotNull("the example reward did not appear", info);
            assertEquals("com.example.osprey.length-reward", info.bundleSymbolicName());
            assertTrue(events.contains("+reward:custom_length"));

            try (ExtensionHandle<RewardFunction> handle = registry.require(RewardFunction.class, "custom_length")) {
                double[] scores = handle.get().score(List.of(sample("这是违法的"), sample("short"), sample("x".repeat(60))));
                assertEquals(-1.0, scores[0], 0);
                assertEquals(0.5, scores[1], 0);
                assertEquals(0.8, scores[2], 0);
                plugin.stop();
                // the job keeps its instance, and learns that the extension is gone
                assertFalse(handle.isAvailable());
                assertEquals(0.5, handle.get().score(List.of(sample("still callable")))[0], 0);
            }
            assertTrue(registry.list(ExtensionKind.REWARD_FUNCTION).isEmpty());
            assertTrue(events.contains("-reward:custom_length"));
        } finally {
            plugin.uninstall();
            listener.unregister();
        }
    }

    @Test
    public void chatTemplatesRenderInsideTheFramework() {
        dev.osprey.api.chat.Conversation conversation = dev.osprey.api.chat.Conversation.of(List.of(
                ChatMessage.of("system", "Be brief."),
                ChatMessage.of("user", "Hi"),
                ChatMessage.of("assistant", "Hello!")));
        try (ExtensionHandle<dev.osprey.api.chat.ChatTemplate> chatml =
                registry.require(dev.osprey.api.chat.ChatTemplate.class, "chatml")) {
            List<dev.osprey.api.chat.Segment> segments =
                    chatml.get().render(conversation, dev.osprey.api.chat.RenderOptions.training());
            String text =
                    segments.stream().map(dev.osprey.api.chat.Segment::text).reduce("", String::concat);
            assertEquals(
                    "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                            + "<|im_start|>assistant\nHello!<|im_end|>\n",
                    text);
            assertEquals(
                    "Hello!<|im_end|>",
                    segments.stream()
                            .filter(dev.osprey.api.chat.Segment::trainable)
                            .map(dev.osprey.api.chat.Segment::text)
                            .reduce("", String::concat)
                            .trim());
        }
        // the model's own Jinja template, rendered by the embedded Jinja engine
        String jinja = "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] | trim }}{% endfor %}"
                + "{% if add_generation_prompt %}<assistant>{% endif %}";
        String rendered;
        try {
            rendered = dev.osprey.chat.JinjaChatTemplate.of("test", jinja, java.util.Map.of())
                    .apply(conversation, true, java.util.Map.of());
        } catch (RuntimeException e) {
            // exceptions of the embedded engine cannot cross Pax Exam's RMI: report them as text
            java.io.StringWriter trace = new java.io.StringWriter();
            e.printStackTrace(new java.io.PrintWriter(trace));
            throw new AssertionError(trace.toString());
        }
        assertEquals("<system>Be brief.<user>Hi<assistant>Hello!<assistant>", rendered);
    }

    @Test
    public void requireNamesWhatIsMissingAndWhatIsInstalled() {
        try {
            registry.require(RewardFunction.class, "nope");
            fail("expected an error");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("no reward named 'nope' is installed; installed: none"));
        }
    }

    @Test
    public void modelRegistryEntriesComeAndGoWithTheirBundle() throws Exception {
        Path jar = Files.createTempFile("models", ".jar");
        String json =
                "[{\"id\":\"test-org/Tiny-Qwen3\",\"modelscope_id\":\"test-org/Tiny-Qwen3-ms\",\"model_type\":\"qwen3\","
                        + "\"architecture\":\"Qwen3ForCausalLM\",\"template\":\"qwen3\",\"tags\":[\"thinking\"]},"
                        + "{\"model_type\":\"broken-without-id\"}]";
        TestPlatform.writeJar(
                jar,
                Map.of(
                        "Bundle-ManifestVersion",
                        "2",
                        "Bundle-SymbolicName",
                        "test.models",
                        "Bundle-Version",
                        "1.0.0",
                        ModelRegistry.MODELS_HEADER,
                        "models.json"),
                Map.of("models.json", json.getBytes(StandardCharsets.UTF_8)));
        Bundle bundle = context.installBundle(jar.toUri().toString());
        try {
            bundle.start();
            ModelEntry entry = models.find("TEST-ORG/tiny-qwen3-MS").orElseThrow();
            assertEquals("qwen3", entry.modelType());
            assertEquals("test.models", entry.bundle());
            assertTrue(entry.tags().contains("thinking"));
            assertEquals(
                    1,
                    models.byModelType("qwen3").stream()
                            .filter(e -> e.bundle().equals("test.models"))
                            .count());
            // the bad entry is skipped, and named in the inventory
            assertTrue(inventory
                    .plugin("test.models")
                    .orElseThrow()
                    .problems()
                    .contains("models.json entry 1: 'id' and 'model_type' are required"));
            bundle.stop();
            assertTrue(models.find("test-org/Tiny-Qwen3").isEmpty());
        } finally {
            bundle.uninstall();
        }
    }

    @Test
    public void deviceSelectionGivesClearErrors() {
        assertEquals(DeviceId.CPU, devices.select("cpu"));
        assertMessage(() -> devices.select("cuda:0"), "--device cuda:0 is not available");
        assertMessage(
                () -> devices.select("tpu:0"),
                "no hardware target named 'tpu' is installed; installed: cpu, cuda, npu");
        assertMessage(() -> devices.select("cuda:x"), "the index after ':' must be a number");
    }

    @Test
    public void theGogoCommandListsPlugins() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (CommandSession session = gogo.createSession(System.in, print, print)) {
            Object result = session.execute("osprey:plugins");
            String text = String.valueOf(result);
            assertTrue(text, text.contains("dev.osprey.target.cpu") && text.contains("hardware-target:cpu"));
        }
    }

    private static RewardSample sample(String completion) {
        return new RewardSample(List.of(ChatMessage.of("user", "hi")), completion, new int[0], Map.of());
    }

    private static void assertMessage(Runnable call, String expected) {
        try {
            call.run();
            fail("expected an error containing: " + expected);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(expected));
        }
    }
}
