package dev.osprey.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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

import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.align.rlhf.RlhfArguments;
import dev.osprey.align.rlhf.RlhfJob;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.plugin.PluginInventory;
import dev.osprey.api.plugin.PluginState;
import dev.osprey.chat.ChatPromptEncoder;
import dev.osprey.checkpoint.GenerationConfig;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.checkpoint.TokenizerConfig;
import dev.osprey.model.decoder.CommonConfig;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.train.sft.ModelProvider;
import dev.osprey.train.sft.SftArguments;

/**
 * GRPO inside the platform with a third-party reward installed at runtime: the example
 * {@code custom_length} plugin (-1.0 for a completion containing 违法, 0.8 above 50 characters, else 0.5)
 * is dropped into the plugins folder, a tiny GRPO job scores its completions with it through the
 * extension registry, and after the plugin is deleted a new job naming it fails with the names installed. A job
 * naming the reward of a plugin that failed to start ({@code examples/faulty-plugin}) fails naming that plugin,
 * its file and its reason.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GrpoRewardInFrameworkIT {

    private static final List<String> WORDS = List.of(
            "hello",
            "world",
            "tell",
            "me",
            "about",
            "yourself",
            "assistant",
            "answers",
            "违法",
            "questions",
            "carefully",
            "today");

    @Inject
    BundleContext context;

    @Inject
    ExtensionRegistry registry;

    @Inject
    EngineRuntime engine;

    @Inject
    PluginInventory inventory;

    private static final String FAULTY = "com.example.osprey.faulty-reward";

    @Configuration
    public Option[] config() throws Exception {
        return TestPlatform.platform(TestPlatform.newPluginsDir(), TestPlatform.freePort());
    }

    @Test
    public void grpoScoresWithAHotDeployedRewardAndFailsClearlyOnceItIsGone() throws Exception {
        Path plugins = Path.of(context.getProperty("felix.fileinstall.dir"));
        Path jar = plugins.resolve("length-reward.jar");
        Files.copy(
                TestPlatform.exampleJar("reward-plugin", "length-reward", "1.0.0"),
                plugins.resolve("length-reward.jar.part"));
        Files.move(plugins.resolve("length-reward.jar.part"), jar);
        assertNotNull(
                "custom_length did not appear",
                TestPlatform.waitFor(
                        15_000,
                        () -> registry.list(ExtensionKind.REWARD_FUNCTION).stream()
                                        .anyMatch(i -> i.name().equals("custom_length"))
                                ? Boolean.TRUE
                                : null));

        Path work = Files.createTempDirectory(plugins.getParent(), "grpo-");
        Path model = modelFolder(work.resolve("model"));
        Path prompts = work.resolve("prompts.jsonl");
        Files.writeString(prompts, "{\"query\": \"tell me about yourself\"}\n{\"query\": \"hello world\"}\n");
        RlhfJob.Result result;
        try (NDManager manager = engine.newManager(Device.cpu())) {
            result = new RlhfJob(
                            grpo(model, prompts, work.resolve("out")), provider(), RlhfJob.Rewards.of(registry), null)
                    .train(manager);
        }
        assertEquals(3, result.steps().size());
        for (Map<String, Object> step : result.steps()) {
            double mean = ((Number) step.get("rewards/custom_length/mean")).doubleValue();
            assertTrue("step " + step + ": a mean of 4 scores in {-1, 0.5, 0.8}", meanOfScores(mean, 4));
            assertEquals(mean, ((Number) step.get("reward")).doubleValue(), 1e-12);
        }
        assertTrue(
                Files.readString(work.resolve("out").resolve("logging.jsonl")).contains("rewards/custom_length/mean"));

        Files.delete(jar);
        assertNotNull(
                "custom_length is still registered",
                TestPlatform.waitFor(
                        15_000,
                        () -> registry.list(ExtensionKind.REWARD_FUNCTION).stream()
                                        .noneMatch(i -> i.name().equals("custom_length"))
                                ? Boolean.TRUE
                                : null));
        try (NDManager manager = engine.newManager(Device.cpu())) {
            new RlhfJob(grpo(model, prompts, work.resolve("again")), provider(), RlhfJob.Rewards.of(registry), null)
                    .train(manager);
            fail("a job naming a removed reward must fail");
        } catch (IllegalArgumentException e) {
            System.out.println("after removal: " + e.getMessage());
            assertTrue(e.getMessage(), e.getMessage().contains("custom_length"));
        }
        assertTrue(
                "nothing was trained for the failed job",
                !Files.exists(work.resolve("again").resolve("logging.jsonl")));
    }

    @Test
    public void aRewardWhosePluginFailedToStartIsNamedWithItsBundleFileAndReason() throws Exception {
        Path plugins = Path.of(context.getProperty("felix.fileinstall.dir"));
        Path jar = plugins.resolve("faulty.jar");
        Path good = plugins.resolve("length-reward.jar");
        Files.copy(
                TestPlatform.exampleJar("faulty-plugin", "faulty-reward", "1.0.0"), plugins.resolve("faulty.jar.part"));
        Files.move(plugins.resolve("faulty.jar.part"), jar);
        Files.copy(
                TestPlatform.exampleJar("reward-plugin", "length-reward", "1.0.0"),
                plugins.resolve("length-reward.jar.part"));
        Files.move(plugins.resolve("length-reward.jar.part"), good);
        try {
            assertNotNull(
                    "custom_length did not appear",
                    TestPlatform.waitFor(
                            15_000,
                            () -> registry.list(ExtensionKind.REWARD_FUNCTION).stream()
                                            .anyMatch(i -> i.name().equals("custom_length"))
                                    ? Boolean.TRUE
                                    : null));
            assertNotNull(
                    "the faulty plugin is not reported as failed",
                    TestPlatform.waitFor(
                            15_000,
                            () -> inventory
                                    .plugin(FAULTY)
                                    .filter(p -> p.state() == PluginState.FAILED
                                            && String.join(" ", p.problems()).contains("refuses to start"))
                                    .orElse(null)));
            Path work = Files.createTempDirectory(plugins.getParent(), "grpo-faulty-");
            Path prompts = work.resolve("prompts.jsonl");
            Files.writeString(prompts, "{\"query\": \"hello world\"}\n");
            RlhfArguments args = grpo(modelFolder(work.resolve("model")), prompts, work.resolve("out"))
                    .rewardFuncs("faulty");
            try (NDManager manager = engine.newManager(Device.cpu())) {
                new RlhfJob(args, provider(), RlhfJob.Rewards.of(registry), null).train(manager);
                fail("a job naming the reward of a plugin that failed must fail");
            } catch (IllegalArgumentException e) {
                System.out.println("--reward_funcs faulty: " + e.getMessage());
                assertTrue(
                        e.getMessage(),
                        e.getMessage().startsWith("no reward named 'faulty' is installed; installed: custom_length."));
                assertTrue(
                        e.getMessage(),
                        e.getMessage()
                                .contains(
                                        "A reward plugin did not start: " + FAULTY + " 1.0.0 (" + jar + ") failed: "));
                assertTrue(
                        e.getMessage(),
                        e.getMessage()
                                .contains("component com.example.osprey.faulty.FaultyReward failed to activate: "
                                        + "java.lang.IllegalStateException: faulty-reward refuses to start"));
            }
            assertTrue("nothing was trained", !Files.exists(work.resolve("out").resolve("logging.jsonl")));
        } finally {
            Files.deleteIfExists(jar);
            Files.deleteIfExists(good);
            TestPlatform.waitFor(
                    15_000,
                    () -> inventory.plugin(FAULTY).isEmpty()
                                    && registry.list(ExtensionKind.REWARD_FUNCTION)
                                            .isEmpty()
                            ? Boolean.TRUE
                            : null);
        }
    }

    /** Whether {@code mean} is the mean of n scores each -1, 0.5 or 0.8. */
    private static boolean meanOfScores(double mean, int n) {
        for (int banned = 0; banned <= n; banned++) {
            for (int longOnes = 0; banned + longOnes <= n; longOnes++) {
                int shortOnes = n - banned - longOnes;
                if (Math.abs((-banned + 0.8 * longOnes + 0.5 * shortOnes) / n - mean) < 1e-9) {
                    return true;
                }
            }
        }
        return false;
    }

    private static RlhfArguments grpo(Path model, Path prompts, Path out) {
        SftArguments common = new SftArguments()
                .model(model.toString())
                .dataset(prompts.toString())
                .maxLength(64)
                .perDeviceTrainBatchSize(4)
                .learningRate(1e-3)
                .maxSteps(3)
                .loggingSteps(1)
                .saveSteps(0)
                .outputDir(out)
                .seed(5);
        return new RlhfArguments()
                .rlhfType("grpo")
                .rewardFuncs("custom_length")
                .numGenerations(4)
                .maxCompletionLength(16)
                .common(common);
    }

    /** A tiny Qwen2-shaped model folder: word-level tokenizer, ChatML template, config (weights are seeded, built by the provider). */
    private static Path modelFolder(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> vocab =
                new java.util.ArrayList<>(List.of("<unk>", "<|im_start|>", "<|im_end|>", "user", "system"));
        vocab.addAll(WORDS);
        StringBuilder entries = new StringBuilder();
        for (int i = 0; i < vocab.size(); i++) {
            entries.append(i == 0 ? "" : ",")
                    .append('"')
                    .append(vocab.get(i))
                    .append("\":")
                    .append(i);
        }
        String special = "{\"id\":%d,\"content\":\"%s\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                + "\"normalized\":false,\"special\":true}";
        Files.writeString(
                dir.resolve("tokenizer.json"),
                "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
                        + String.format(special, 1, "<|im_start|>") + "," + String.format(special, 2, "<|im_end|>")
                        + "],"
                        + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                        + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + entries + "},\"unk_token\":\"<unk>\"}}");
        String template =
                "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
                        + " + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        ObjectMapper json = new ObjectMapper();
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                json.writeValueAsString(Map.of("chat_template", template, "eos_token", "<|im_end|>")));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", "qwen2");
        config.put("vocab_size", vocab.size());
        config.put("hidden_size", 32);
        config.put("intermediate_size", 64);
        config.put("num_hidden_layers", 2);
        config.put("num_attention_heads", 4);
        config.put("num_key_value_heads", 2);
        config.put("tie_word_embeddings", true);
        Files.writeString(dir.resolve("config.json"), json.writeValueAsString(config));
        return dir;
    }

    private static ModelProvider provider() {
        return new ModelProvider() {
            @Override
            public HfModel load(SftArguments args, NDManager manager) throws IOException {
                Path folder = Path.of(args.model());
                HfConfig hf = HfConfig.read(folder.resolve("config.json"));
                DecoderModel model = new DecoderModel(
                        hf,
                        CommonConfig.read(hf, true, "silu").spec(true, false, false, false, 0f, 1, 0),
                        manager,
                        DataType.FLOAT32,
                        3);
                HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                        folder.resolve("tokenizer.json"),
                        Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
                return new HfModel(
                        folder,
                        hf,
                        model,
                        tokenizer,
                        TokenizerConfig.read(folder),
                        GenerationConfig.empty(),
                        List.of());
            }

            @Override
            public PromptEncoder prompts(HfModel model) {
                return ChatPromptEncoder.ownTemplate(
                        model.tokenizer(), model.tokenizerConfig(), model.generationConfig());
            }

            @Override
            public void close() {}
        };
    }
}
