package dev.osprey.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.GenerationListener;
import dev.osprey.api.inference.GenerationRequest;
import dev.osprey.api.inference.InferenceBackend;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.inference.SamplingParams;
import dev.osprey.api.inference.TokenChunk;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;

/**
 * Mistral 3 with images inside Felix: the LLaVA bundle finds the Mistral decoder of the Llama bundle as a service (DS
 * binds it), the model service gives its prompt encoder, which records each image part where the template wrote
 * {@code [IMG]}, and the DJL backend serves the chat with the images read from an allowed folder, expanded into
 * {@code [IMG]} rows by the bundle's media processor, giving transformers' greedy tokens for the same PNGs
 * (tools/make-llava-fixtures.py, case mistral3-images); the registry lists the Mistral 3 ids as image models.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LlavaImagesInFrameworkIT {

    private static final String REFERENCE = "plugins-models/llava/src/test/resources/reference/";

    @Inject
    ModelService models;

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        return TestPlatform.platform(
                TestPlatform.newPluginsDir(),
                TestPlatform.freePort(),
                bundle(TestPlatform.reactorJar("plugins-models/gemma-vision", "osprey-models-gemma-vision")
                        .toUri()
                        .toString()),
                bundle(TestPlatform.reactorJar("plugins-models/llava", "osprey-models-llava")
                        .toUri()
                        .toString()),
                bundle(TestPlatform.reactorJar("plugins-backends/djl-backend", "osprey-backend-djl")
                        .toUri()
                        .toString()));
    }

    /** The tiny Mistral 3's weights with the prompt fixture's processor, tokenizer and chat template. */
    private static Path folder() throws Exception {
        Path dir = Files.createTempDirectory("mistral3-chat");
        Path root = TestPlatform.root();
        for (String f : List.of("config.json", "model.safetensors", "generation_config.json")) {
            Files.copy(root.resolve(REFERENCE + "mistral3/" + f), dir.resolve(f));
        }
        for (String f :
                List.of("preprocessor_config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja")) {
            Files.copy(root.resolve(REFERENCE + "mistral3-images/" + f), dir.resolve(f));
        }
        return dir;
    }

    private static Conversation conversation() {
        return Conversation.of(List.of(new ChatMessage(
                "user",
                List.of(
                        ContentPart.text("w1 w17"),
                        ContentPart.image("a.png"),
                        ContentPart.text("w93 w5"),
                        ContentPart.image("b.png"),
                        ContentPart.text("w44 w8")),
                List.of(),
                "",
                "")));
    }

    @Inject
    ModelRegistry registry;

    @Test
    public void theRegistryListsMistral3AsAnImageModel() {
        var entry =
                registry.find("mistralai/Mistral-Small-3.1-24B-Instruct-2503").orElseThrow();
        assertEquals("mistral3", entry.modelType());
        assertTrue(entry.tags().contains("vision"));
        assertEquals(
                "llava", registry.find("llava-hf/llava-1.5-7b-hf").orElseThrow().modelType());
        assertEquals(
                "llava_next",
                registry.find("llava-hf/llava-v1.6-mistral-7b-hf").orElseThrow().modelType());
        assertEquals(
                "mistral3",
                registry.find("mistralai/Ministral-3-8B-Reasoning-2512")
                        .orElseThrow()
                        .modelType());
        assertEquals(
                "llava_onevision",
                registry.find("llava-hf/llava-onevision-qwen2-0.5b-ov-hf")
                        .orElseThrow()
                        .modelType());
    }

    @Test
    public void aChatWithImagesIsEncodedAndServed() throws Exception {
        Path model = folder();
        Path images = TestPlatform.root().resolve(REFERENCE + "mistral3-images");
        JsonNode ref = new ObjectMapper().readTree(images.resolve("images.json").toFile());
        try (NDManager manager = NDManager.newBaseManager();
                LoadedModel loaded = models.load(ModelRequest.of(model.toString()), manager)) {
            EncodedPrompt prompt =
                    loaded.prompts().encode(conversation(), new RenderOptions(true, RenderOptions.ALL, Map.of()));
            int[] expectedIds = new int[ref.get("prompt_ids").size()];
            for (int i = 0; i < expectedIds.length; i++) {
                expectedIds[i] = ref.get("prompt_ids").get(i).asInt();
            }
            assertArrayEquals(expectedIds, prompt.inputIds());
            assertEquals(2, prompt.media().size());
            assertEquals(
                    ref.get("media_positions").get(1).asInt(),
                    prompt.media().get(1).position());
        }

        InferenceBackend djl = null;
        for (int tries = 0; djl == null && tries < 100; tries++) { // Declarative Services may still be starting it
            for (ServiceReference<InferenceBackend> r : context.getServiceReferences(InferenceBackend.class, null)) {
                InferenceBackend b = context.getService(r);
                if (b.name().equals("djl")) {
                    djl = b;
                }
            }
            if (djl == null) {
                Thread.sleep(100);
            }
        }
        assertTrue("no djl backend", djl != null);
        BackendOptions options = new BackendOptions(
                model.toString(),
                "tiny-mistral3",
                Map.of(),
                "cpu",
                Map.of("allowed_local_media_path", images.toString()));
        JsonNode greedy = ref.get("greedy");
        try (InferenceSession session = djl.open(options)) {
            assertTrue(session.models().get(0).accepts(ContentPart.IMAGE));
            List<Integer> tokens = new ArrayList<>();
            CompletableFuture<Integer> done = new CompletableFuture<>();
            session.generate(
                    new GenerationRequest(
                            "it",
                            "tiny-mistral3",
                            conversation(),
                            null,
                            null,
                            SamplingParams.greedy(greedy.get("max_new_tokens").asInt())),
                    new GenerationListener() {
                        @Override
                        public void chunk(TokenChunk chunk) {
                            tokens.addAll(chunk.tokenIds());
                        }

                        @Override
                        public void completed(String finishReason, int promptTokens, int completionTokens) {
                            done.complete(promptTokens);
                        }

                        @Override
                        public void failed(Throwable error) {
                            done.completeExceptionally(error);
                        }
                    });
            assertEquals(ref.get("input_ids").size(), (int) done.get(120, TimeUnit.SECONDS));
            List<Integer> expected = new ArrayList<>();
            greedy.get("tokens").forEach(t -> expected.add(t.asInt()));
            assertEquals(expected, tokens);
        }
    }
}
