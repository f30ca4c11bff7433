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
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;

/**
 * A chat with images inside Felix: the model service gives the Qwen-VL bundle's prompt encoder, which records each
 * image part where the template wrote its placeholder, and the DJL backend serves the chat with the images read from
 * an allowed folder, giving transformers' greedy tokens for the same ids and pixels
 * (tools/make-qwen-vl-prompt-fixtures.py).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class QwenVlImagesInFrameworkIT {

    private static final String REFERENCE = "plugins-models/qwen-vl/src/test/resources/reference/";

    @Inject
    ModelService models;

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        return TestPlatform.platform(
                TestPlatform.newPluginsDir(),
                TestPlatform.freePort(),
                bundle(TestPlatform.reactorJar("plugins-models/qwen-vl", "osprey-models-qwen-vl")
                        .toUri()
                        .toString()),
                bundle(TestPlatform.reactorJar("plugins-backends/djl-backend", "osprey-backend-djl")
                        .toUri()
                        .toString()));
    }

    /** The tiny model {@code name}'s weights with its prompt fixture's processor, tokenizer and chat template. */
    private static Path folder(String name) throws Exception {
        Path dir = Files.createTempDirectory(name + "-chat");
        Path root = TestPlatform.root();
        for (String f : List.of("config.json", "model.safetensors", "generation_config.json")) {
            Files.copy(root.resolve(REFERENCE + name + "/" + f), dir.resolve(f));
        }
        for (String f : List.of("preprocessor_config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(root.resolve(REFERENCE + name + "-images/" + f), dir.resolve(f));
        }
        return dir;
    }

    private static Conversation conversation() {
        return Conversation.of(List.of(new ChatMessage(
                "user",
                List.of(
                        ContentPart.text("w1 w17"),
                        ContentPart.image("a.png"),
                        ContentPart.text("w93 w5 w44"),
                        ContentPart.image("b.png"),
                        ContentPart.text("w8 w61")),
                List.of(),
                "",
                "")));
    }

    @Test
    public void aChatWithImagesIsEncodedAndServed() throws Exception {
        chatWithImages("qwen2-vl");
    }

    /** Qwen3-VL through the same prompt encoder, processor and backend (DeepStack in the served prefill). */
    @Test
    public void aQwen3VlChatWithImagesIsEncodedAndServed() throws Exception {
        chatWithImages("qwen3-vl");
    }

    private void chatWithImages(String name) throws Exception {
        Path model = folder(name);
        Path images = TestPlatform.root().resolve(REFERENCE + name + "-images");
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
                model.toString(), "tiny-vl", Map.of(), "cpu", Map.of("allowed_local_media_path", images.toString()));
        JsonNode greedy = ref.get("greedy");
        try (InferenceSession session = djl.open(options)) {
            assertTrue(session.models().get(0).accepts(ContentPart.IMAGE));
            List<Integer> tokens = new ArrayList<>();
            CompletableFuture<Integer> done = new CompletableFuture<>();
            session.generate(
                    new GenerationRequest(
                            "it",
                            "tiny-vl",
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
