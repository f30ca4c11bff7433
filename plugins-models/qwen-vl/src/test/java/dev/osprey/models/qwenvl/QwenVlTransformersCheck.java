package dev.osprey.models.qwenvl;

import static dev.osprey.model.reference.MediaReference.flat;
import static dev.osprey.models.qwenvl.QwenVlFixture.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.reference.HfReference;

/** The comparisons every Qwen-VL-style fixture makes with what transformers computed for it. */
final class QwenVlTransformersCheck {

    private QwenVlTransformersCheck() {}

    /**
     * Logits and loss of the fixture's batch, greedy tokens through the cache (the batch, then each row alone) and
     * the logits and loss with the fixture's PEFT adapter attached; {@code attached} checks the adapter's module
     * names.
     */
    static void logitsLossGreedyTokensAndLora(String name, QwenVlFamily architecture, Consumer<List<String>> attached)
            throws IOException {
        QwenVlFixture f = new QwenVlFixture(name);
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(f.folder, c -> architecture, manager, DataType.FLOAT32)) {
            assertEquals(List.of(), model.unusedWeights(), name + ": every checkpoint tensor has a place");
            forward(
                    name,
                    f,
                    model,
                    manager,
                    null,
                    f.ref.get("logits"),
                    f.ref.get("loss").asDouble());

            // the platform's Generator: the media in the prefill, then one token per step through the cache
            JsonNode greedy = f.ref.get("greedy");
            GenerationOptions options = GenerationOptions.greedy(
                    greedy.get("max_new_tokens").asInt(),
                    new HashSet<>(model.generationConfig().eosTokenIds()));
            List<int[]> prompts = new ArrayList<>();
            for (int b = 0; b < f.ids.length; b++) {
                long real = Arrays.stream(f.mask[b]).sum();
                prompts.add(Arrays.stream(f.ids[b])
                        .skip(f.ids[b].length - real)
                        .mapToInt(t -> (int) t)
                        .toArray());
            }
            List<Generator.Result> batched =
                    Generator.generate(model.model(), prompts, f.media(manager), options, null, null, null);
            for (int b = 0; b < prompts.size(); b++) {
                int row = b;
                assertArrayEquals(
                        ints(greedy.get("tokens").get(b)),
                        batched.get(b).tokens(),
                        name + ": greedy tokens of row " + b);
                List<Generator.Result> alone = Generator.generate(
                        model.model(),
                        List.of(prompts.get(b)),
                        f.media(manager, r -> r == row),
                        options,
                        null,
                        null,
                        null);
                assertArrayEquals(
                        ints(greedy.get("tokens_alone").get(b)),
                        alone.get(0).tokens(),
                        name + ": greedy tokens of row " + b + " alone");
            }

            JsonNode lora = f.ref.get("lora");
            LanguageModel language = model.model();
            List<Linear> linears = LoraMerge.linearsOf(language);
            List<String> modules = PeftAdapter.attach(
                    f.folder.resolve(lora.get("folder").asText()), linears, "ref", manager, language::checkpointKey);
            assertEquals(lora.get("modules").size(), modules.size(), "the adapter's modules, attached " + modules);
            attached.accept(modules);
            forward(
                    name + " with its LoRA adapter",
                    f,
                    model,
                    manager,
                    "ref",
                    lora.get("logits"),
                    lora.get("loss").asDouble());
        }
    }

    /** The fixture's batch through {@code model} (with {@code adapter}, or none): transformers' logits and loss. */
    static void forward(
            String what,
            QwenVlFixture f,
            HfModel model,
            NDManager manager,
            String adapter,
            JsonNode expected,
            double expectedLoss) {
        Shape shape = new Shape(f.ids.length, f.ids[0].length);
        try (NDManager scope = manager.newSubManager()) {
            ForwardRequest request = ForwardRequest.builder(scope.create(flat(f.ids), shape))
                    .optAttentionMask(scope.create(flat(f.mask), shape))
                    .optAdapter(adapter)
                    .optMedia(f.media(scope))
                    .build();
            NDArray logits = model.model().forward(request).logits(); // (B, T, V)
            HfReference.assertLogits(what, logits, f.mask, expected);
            double loss =
                    Losses.causalLm(logits, scope.create(flat(f.labels), shape)).getFloat();
            assertEquals(
                    expectedLoss, loss, HfReference.RELATIVE_TOLERANCE * Math.max(1, expectedLoss), what + ": loss");
        }
    }
}
