package dev.osprey.models.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.job.ProgressReporter;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.backend.djl.TinyCheckpoint;
import dev.osprey.chat.impl.ChatMlTemplate;
import dev.osprey.chat.impl.Llama3Template;
import dev.osprey.hub.HubOptions;
import dev.osprey.hub.ServedFolder;
import dev.osprey.model.load.HfModel;
import dev.osprey.models.llama.LlamaArchitecture;

/**
 * The model service on real parts: a tiny Llama checkpoint written by the model core, the Llama architecture, the
 * built-in templates, DJL's engine, and the hub bundle's local server with both hubs' layouts.
 */
class ModelServiceTest {

    @TempDir
    static Path dir;

    static Path folder;
    static Path adapter;

    @BeforeAll
    static void checkpoints() throws IOException {
        folder = TinyCheckpoint.model(dir.resolve("tiny"), 40, 16, 2, 4, 2, 32, 64);
        adapter = TinyCheckpoint.adapter(folder, dir.resolve("adapter"), 4, 7);
    }

    static ModelServiceImpl service(ListedExtensions extensions, ModelRegistry registry, HubOptions hub) {
        return new ModelServiceImpl(extensions, registry, d -> NDManager.newBaseManager(), useHf -> hub);
    }

    static ListedExtensions plugins() {
        return new ListedExtensions(new LlamaArchitecture(), new ChatMlTemplate(), new Llama3Template());
    }

    /** The last position's logits of a fixed prompt. */
    static float[] logits(LoadedModel model, String adapterName) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {3, 5, 9, 11, 4, 6}, new Shape(1, 6)); // (B, T)
            ForwardRequest request =
                    ForwardRequest.builder(ids).optAdapter(adapterName).build(); // null: none
            return model.model().forward(request).logits().get(0, 5).toFloatArray(); // (V)
        }
    }

    @Test
    void loadsAFolderWithItsTokenizerTemplateAndGenerationDefaults() throws IOException {
        ListedExtensions plugins = plugins();
        try (LoadedModel model = service(plugins, new ListedModels(), null).load(ModelRequest.of(folder.toString()))) {
            assertEquals("llama", model.config().getString("model_type").orElseThrow());
            assertEquals(folder, model.folder());
            assertEquals(DeviceId.CPU, model.device());
            assertEquals(Set.of(2), model.generation().eosTokenIds());
            assertEquals(64, model.generation().contextLength());
            assertArrayEquals(new int[] {3, 5}, model.tokenizer().orElseThrow().encode("<|im_start|> user"));
            assertEquals(PromptEncoder.FROM_TOKENIZER_CONFIG, model.prompts().templateOrigin());
            assertTrue(model.unwrap(HfModel.class).isPresent());
            assertEquals(40, logits(model, null).length);
            assertTrue(plugins.openHandles() > 0, "the architecture's handle is held while the model is open");
        }
        assertEquals(0, plugins.openHandles(), "closing the model gives its handles back");
    }

    @Test
    void downloadsAHubIdWithProgressAndLoadsTheSameWeights(@TempDir Path home) throws IOException {
        List<String> phases = new ArrayList<>();
        Map<String, Long> bytes = new HashMap<>();
        ProgressReporter progress = new ProgressReporter() {
            @Override
            public void begin(String phase, long totalSteps) {
                phases.add(phase);
            }

            @Override
            public void step(long step, Map<String, Double> metrics) {
                bytes.put(phases.get(phases.size() - 1), step);
            }

            @Override
            public void message(String text) {}
        };
        try (ServedFolder hub = new ServedFolder("osprey/tiny-llama", folder)) {
            for (boolean useHf : new boolean[] {true, false}) {
                ModelServiceImpl service =
                        service(plugins(), new ListedModels(), hub.options(useHf, home.resolve("cache-" + useHf)));
                ModelRequest request =
                        ModelRequest.of("osprey/tiny-llama").withUseHf(useHf).withProgress(progress);
                try (LoadedModel fromHub = service.load(request);
                        LoadedModel fromFolder = service.load(ModelRequest.of(folder.toString()))) {
                    assertTrue(fromHub.folder().startsWith(home), fromHub.folder() + " is in the cache");
                    assertArrayEquals(logits(fromFolder, null), logits(fromHub, null), 0f);
                }
            }
        }
        assertTrue(phases.contains("download model.safetensors"), phases.toString());
        assertEquals(
                Files.size(folder.resolve("model.safetensors")),
                bytes.get("download model.safetensors"),
                "the weights' bytes");
    }

    @Test
    void theTemplatePrecedenceIsArgumentRegistryOwnTemplateThenModelType() throws IOException {
        String id = "osprey/tiny-llama";
        Path noTemplate = Files.createDirectories(dir.resolve("no-template"));
        try (var files = Files.list(folder)) {
            for (Path f : files.toList()) {
                Files.copy(f, noTemplate.resolve(f.getFileName()));
            }
        }
        Files.writeString(
                noTemplate.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}");
        try (ServedFolder hub = new ServedFolder(id, folder)) {
            HubOptions options = hub.options(true, dir.resolve("precedence-cache"));
            ModelRegistry registry = new ListedModels(
                    ListedModels.entry(id, "llama", "chatml"), ListedModels.entry("other/llama", "llama", "llama3"));
            ModelServiceImpl service = service(plugins(), registry, options);
            ModelRequest byId = ModelRequest.of(id).withUseHf(true);
            assertOrigin(service, byId.withTemplate("llama3"), PromptEncoder.FROM_ARGUMENT, "llama3");
            assertOrigin(service, byId, PromptEncoder.FROM_REGISTRY, "chatml");
            // the registry's template missing: the model's own
            ModelServiceImpl noChatml =
                    service(new ListedExtensions(new LlamaArchitecture(), new Llama3Template()), registry, options);
            assertOrigin(noChatml, byId, PromptEncoder.FROM_TOKENIZER_CONFIG, null);
            // a folder the registry does not know: its own template, else its model_type's (if the entries agree on
            // one)
            assertOrigin(service, ModelRequest.of(folder.toString()), PromptEncoder.FROM_TOKENIZER_CONFIG, null);
            ModelServiceImpl oneTemplate =
                    service(plugins(), new ListedModels(ListedModels.entry(id, "llama", "chatml")), options);
            assertOrigin(oneTemplate, ModelRequest.of(noTemplate.toString()), PromptEncoder.FROM_MODEL_TYPE, "chatml");
            try (LoadedModel none =
                    service.load(ModelRequest.of(noTemplate.toString()))) { // two templates for llama: none
                assertTrue(none.prompts().template().isEmpty());
                IllegalArgumentException e = assertThrows(
                        IllegalArgumentException.class,
                        () -> none.prompts()
                                .forGeneration(Conversation.of(List.of(ChatMessage.of("user", "w9"))), Map.of()));
                assertTrue(
                        e.getMessage().contains("has no chat_template")
                                && e.getMessage().contains("--template"),
                        e.getMessage());
                assertEquals(3, none.prompts().encodeText("w9 w10 w11").length, "plain text needs no template");
            }
            IllegalArgumentException unknown = assertThrows(
                    IllegalArgumentException.class,
                    () -> service.load(ModelRequest.of(folder.toString()).withTemplate("vicuna")));
            assertTrue(unknown.getMessage().contains("vicuna"), unknown.getMessage());
        }
    }

    private static void assertOrigin(ModelServiceImpl service, ModelRequest request, String origin, String template)
            throws IOException {
        try (LoadedModel model = service.load(request)) {
            assertEquals(origin, model.prompts().templateOrigin(), request.toString());
            // the folder's own template is named by its file; a plugin by its name
            String name = model.prompts().template().orElseThrow().name();
            assertTrue(template == null ? name.contains("tokenizer_config.json") : name.equals(template), name);
        }
    }

    @Test
    void encodesForTrainingWithLabelsAndForGenerationWithTheAssistantHeader() throws IOException {
        try (LoadedModel model =
                service(plugins(), new ListedModels(), null).load(ModelRequest.of(folder.toString()))) {
            PromptEncoder prompts = model.prompts();
            Conversation chat =
                    Conversation.of(List.of(ChatMessage.of("user", "w9 w10"), ChatMessage.of("assistant", "w11 w12")));
            EncodedPrompt training = prompts.forTraining(chat, RenderOptions.ALL_ASSISTANT);
            // <|im_start|> user w9 w10 <|im_end|> <|im_start|> assistant [w11 w12 <|im_end|>]
            assertArrayEquals(new int[] {3, 5, 9, 10, 4, 3, 6, 11, 12, 4}, training.inputIds());
            assertArrayEquals(new int[] {-100, -100, -100, -100, -100, -100, -100, 11, 12, 4}, training.labels());
            int[] prompt = prompts.forGeneration(Conversation.of(List.of(ChatMessage.of("user", "w9 w10"))), Map.of());
            assertArrayEquals(new int[] {3, 5, 9, 10, 4, 3, 6}, prompt);
            assertTrue(training.media().isEmpty());
        }
    }

    @Test
    void adaptersAttachUnmergedOrMergeIntoTheWeightsWithTheSameLogits() throws IOException {
        ModelServiceImpl service = service(plugins(), new ListedModels(), null);
        ModelRequest base = ModelRequest.of(folder.toString()).withAdapter("sql", adapter);
        try (LoadedModel attached = service.load(base);
                LoadedModel merged = service.load(base.withMergeAdapters(true));
                LoadedModel plain = service.load(ModelRequest.of(folder.toString()))) {
            assertEquals(List.of("sql"), attached.adapters());
            assertEquals(List.of(), merged.adapters());
            float[] expected = logits(attached, "sql");
            assertArrayEquals(expected, logits(merged, null), 1e-4f);
            assertFalse(java.util.Arrays.equals(expected, logits(plain, null)), "the adapter changes the logits");
        }
    }
}
