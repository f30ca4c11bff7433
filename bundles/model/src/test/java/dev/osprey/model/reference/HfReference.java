package dev.osprey.model.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.nn.Linear;

/**
 * Checks a model folder against the outputs Hugging Face transformers computed for it
 * ({@code tools/make-reference-fixtures.py} writes both): logits of a left-padded batch at every real
 * token, the causal-LM loss, generate()'s greedy tokens, and a PEFT adapter unmerged and merged.
 */
public final class HfReference {

    /** Both sides compute in float32 but in different kernels and orders: 1e-4 of the logits' scale. */
    public static final double RELATIVE_TOLERANCE = 1e-4;

    private HfReference() {}

    /** Checks the fixture folder {@code reference/NAME} on the test class path of {@code anchor}. */
    public static void check(Class<?> anchor, String name, ModelArchitecture architecture) throws IOException {
        check(fixture(anchor, name), architecture);
    }

    /** The fixture folder {@code reference/NAME} on the test class path of {@code anchor}. */
    public static Path fixture(Class<?> anchor, String name) {
        try {
            Path root = Path.of(anchor.getResource("/reference").toURI());
            Path folder = root.resolve(name);
            assertTrue(Files.isRegularFile(folder.resolve("reference.json")), "no reference fixture " + folder);
            return folder;
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void check(Path folder, ModelArchitecture architecture) throws IOException {
        check(folder, architecture, null);
    }

    /**
     * As {@link #check(Class, String, ModelArchitecture)} for a checkpoint that also holds layers the causal LM
     * never runs (MiMo's multi-token-prediction layers): the unused tensors must be exactly those whose names start
     * with {@code unusedPrefix}, and there must be some.
     */
    public static void check(Class<?> anchor, String name, ModelArchitecture architecture, String unusedPrefix)
            throws IOException {
        check(fixture(anchor, name), architecture, unusedPrefix);
    }

    private static void check(Path folder, ModelArchitecture architecture, String unusedPrefix) throws IOException {
        JsonNode ref =
                new ObjectMapper().readTree(folder.resolve("reference.json").toFile());
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(folder, config -> architecture, manager, DataType.FLOAT32)) {
            if (unusedPrefix == null) {
                assertEquals(List.of(), model.unusedWeights(), folder + ": every checkpoint tensor has a place");
            } else {
                assertTrue(
                        !model.unusedWeights().isEmpty()
                                && model.unusedWeights().stream().allMatch(n -> n.startsWith(unusedPrefix)),
                        folder + ": only " + unusedPrefix + "* is unused, but unused are " + model.unusedWeights());
            }
            long[][] ids = matrix(ref.get("input_ids"));
            long[][] mask = matrix(ref.get("attention_mask"));
            long[][] labels = matrix(ref.get("labels"));
            String what = folder.getFileName() + " (transformers "
                    + ref.get("transformers_version").asText() + ")";

            compareForward(
                    what,
                    model,
                    null,
                    manager,
                    ids,
                    mask,
                    labels,
                    ref.get("logits"),
                    ref.get("loss").asDouble());
            compareGreedy(what, model, ids, mask, ref.get("greedy"));

            JsonNode lora = ref.get("lora");
            if (lora != null) {
                List<Linear> linears = LoraMerge.linearsOf(model.model());
                List<String> attached =
                        PeftAdapter.attach(folder.resolve(lora.get("folder").asText()), linears, "ref", manager);
                assertEquals(
                        lora.get("modules").size(),
                        attached.size(),
                        what + ": the adapter's modules, attached " + attached);
                compareForward(
                        what + " with its LoRA adapter",
                        model,
                        "ref",
                        manager,
                        ids,
                        mask,
                        labels,
                        lora.get("logits"),
                        lora.get("loss").asDouble());
                for (Linear linear : linears) {
                    if (linear.adapter("ref") != null) {
                        linear.merge("ref");
                    }
                }
                compareForward(
                        what + " with its LoRA adapter merged",
                        model,
                        null,
                        manager,
                        ids,
                        mask,
                        labels,
                        lora.get("logits"),
                        lora.get("loss").asDouble());
            }
        }
    }

    private static void compareForward(
            String what,
            HfModel model,
            String adapter,
            NDManager manager,
            long[][] ids,
            long[][] mask,
            long[][] labels,
            JsonNode expected,
            double expectedLoss) {
        Shape shape = new Shape(ids.length, ids[0].length);
        try (NDManager scope = manager.newSubManager()) {
            ForwardRequest request = ForwardRequest.builder(scope.create(flat(ids), shape))
                    .optAttentionMask(scope.create(flat(mask), shape))
                    .optAdapter(adapter)
                    .build();
            NDArray logits = model.model().forward(request).logits(); // (B, T, V)
            assertLogits(what, logits, mask, expected);
            double loss =
                    Losses.causalLm(logits, scope.create(flat(labels), shape)).getFloat();
            assertEquals(expectedLoss, loss, RELATIVE_TOLERANCE * Math.max(1, expectedLoss), what + ": loss");
        }
    }

    /**
     * The logits equal transformers' at every real token (mask 1), within {@link #RELATIVE_TOLERANCE} of the
     * largest logit, naming the worst position.
     *
     * @param logits (B, T, V)
     * @param mask (B, T) 1 for real tokens
     * @param expected {@code {"shape": [B, T, V], "values": [...]}} as the fixture scripts write it
     */
    public static void assertLogits(String what, NDArray logits, long[][] mask, JsonNode expected) {
        long[] expectedShape = longs(expected.get("shape"));
        assertArrayEquals(expectedShape, logits.getShape().getShape(), what + ": logits shape");
        float[] actual = logits.toFloatArray();
        JsonNode values = expected.get("values");
        int vocab = (int) expectedShape[2];
        double scale = 0;
        double worst = 0;
        String worstAt = "";
        for (int b = 0; b < mask.length; b++) {
            for (int t = 0; t < mask[0].length; t++) {
                if (mask[b][t] == 0) {
                    continue; // transformers' logits at padding are whatever the masked softmax gives
                }
                JsonNode row = values.get(b).get(t);
                for (int v = 0; v < vocab; v++) {
                    double e = row.get(v).asDouble();
                    scale = Math.max(scale, Math.abs(e));
                    double d = Math.abs(e - actual[(b * mask[0].length + t) * vocab + v]);
                    if (d > worst) {
                        worst = d;
                        worstAt = "[" + b + ", " + t + ", " + v + "]";
                    }
                }
            }
        }
        assertTrue(
                worst <= RELATIVE_TOLERANCE * scale,
                what + ": logits differ from transformers' by " + worst + " at " + worstAt + " (largest logit " + scale
                        + ")");
    }

    private static void compareGreedy(String what, HfModel model, long[][] ids, long[][] mask, JsonNode greedy) {
        List<int[]> prompts = new ArrayList<>();
        for (int b = 0; b < ids.length; b++) {
            List<Integer> real = new ArrayList<>();
            for (int t = 0; t < ids[b].length; t++) {
                if (mask[b][t] == 1) {
                    real.add((int) ids[b][t]);
                }
            }
            prompts.add(real.stream().mapToInt(Integer::intValue).toArray());
        }
        // EOS as the folder's generation_config.json says, the way Osprey's commands take it
        GenerationOptions options = GenerationOptions.greedy(
                greedy.get("max_new_tokens").asInt(),
                new HashSet<>(model.generationConfig().eosTokenIds()));
        assertEquals(
                greedy.get("eos_token_id").asInt(),
                model.generationConfig().eosTokenIds().get(0),
                what + ": EOS");
        List<Generator.Result> batched = Generator.generate(model.model(), prompts, options, null, null, null);
        for (int b = 0; b < prompts.size(); b++) {
            int[] expected = ints(greedy.get("tokens").get(b));
            assertArrayEquals(expected, batched.get(b).tokens(), what + ": greedy tokens of row " + b + " in a batch");
            List<Generator.Result> alone =
                    Generator.generate(model.model(), List.of(prompts.get(b)), options, null, null, null);
            assertArrayEquals(
                    ints(greedy.get("tokens_alone").get(b)),
                    alone.get(0).tokens(),
                    what + ": greedy tokens of row " + b + " alone");
        }
    }

    private static long[][] matrix(JsonNode node) {
        long[][] m = new long[node.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = longs(node.get(i));
        }
        return m;
    }

    private static long[] longs(JsonNode node) {
        long[] v = new long[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = node.get(i).asLong();
        }
        return v;
    }

    private static int[] ints(JsonNode node) {
        int[] v = new int[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = node.get(i).asInt();
        }
        return v;
    }

    private static long[] flat(long[][] m) {
        long[] v = new long[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, v, i * m[0].length, m[0].length);
        }
        return v;
    }
}
