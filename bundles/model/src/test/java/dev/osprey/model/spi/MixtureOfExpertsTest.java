package dev.osprey.model.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntPredicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.checkpoint.HfConfig;

/**
 * The routing rules against hand-computed choices (groups, a correction bias that only chooses, renormalisation with a
 * floor, scaling), and the spec's checks naming each family's fields.
 */
class MixtureOfExpertsTest {

    private final NDManager manager = NDManager.newBaseManager();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray logits(float... values) {
        return manager.create(values, new Shape(1, values.length)); // (1, E)
    }

    @Test
    void softmaxTopKRenormalises() {
        ExpertRouting.Choice choice = ExpertRouting.Rule.softmaxTopK(2, true).choose(logits(0f, 2f, 1f, -1f), null);
        assertArrayEquals(new long[] {1, 2}, choice.chosen());
        double e = Math.E;
        assertArrayEquals(
                new float[] {(float) (e / (e + 1)), (float) (1 / (e + 1))},
                choice.weights().toFloatArray(),
                1e-6f);
    }

    @Test
    void theCorrectionBiasChoosesButDoesNotWeigh() {
        NDArray bias = manager.create(new float[] {0f, 0f, 0f, 5f}); // (E)
        ExpertRouting.Choice choice =
                ExpertRouting.Rule.sigmoidGroupLimited(1, 1, 1, false, 2.0).choose(logits(3f, 0f, 0f, -1f), bias);
        assertArrayEquals(new long[] {3}, choice.chosen());
        assertArrayEquals(
                new float[] {(float) (2 / (1 + Math.exp(1)))}, choice.weights().toFloatArray(), 1e-6f);
    }

    @Test
    void groupsRankedByTheirTwoBestKeepOnlyTheBestGroups() {
        // groups {0,1} {2,3} {4,5}: sums of sigmoids rank {2,3} and {4,5} first, though expert 0 is the best alone
        float[] l = {4f, -4f, 1f, 1f, 0.5f, 0.5f};
        ExpertRouting.Choice topTwo =
                ExpertRouting.Rule.sigmoidGroupLimited(2, 3, 1, true, 1.0).choose(logits(l), null);
        assertArrayEquals(new long[] {2, 3}, topTwo.chosen());
        // ranked by their best member, group {0,1} wins
        ExpertRouting.Choice best = ExpertRouting.Rule.softmaxTopK(2, false)
                .grouped(3, 1, ExpertRouting.GroupRank.BEST)
                .choose(logits(l), null);
        assertArrayEquals(new long[] {0, 1}, best.chosen());
    }

    @Test
    void renormalisationHasAFloor() {
        // two softmax probabilities far below the floor: divided by it, not by their own sum
        ExpertRouting.Choice choice =
                ExpertRouting.Rule.softmaxTopK(2, true).normalizedAtLeast(10.0).choose(logits(0f, 0f), null);
        assertArrayEquals(new float[] {0.05f, 0.05f}, choice.weights().toFloatArray(), 1e-7f);
    }

    @Test
    void specChecksNameTheFamilysFields() {
        MixtureOfExperts.Fields ling = new MixtureOfExperts.Fields(
                "num_experts", "num_experts_per_tok", "moe_intermediate_size", "num_shared_experts");
        assertNamed(
                "num_experts",
                () -> MixtureOfExperts.Spec.of(ling, 0, 4, "silu", ExpertRouting.Rule.softmaxTopK(1, true)));
        assertNamed(
                "num_experts_per_tok",
                () -> MixtureOfExperts.Spec.of(ling, 4, 4, "silu", ExpertRouting.Rule.softmaxTopK(5, true)));
        assertNamed(
                "moe_intermediate_size",
                () -> MixtureOfExperts.Spec.of(ling, 4, 0, "silu", ExpertRouting.Rule.softmaxTopK(2, true)));
        assertNamed(
                "num_shared_experts",
                () -> MixtureOfExperts.Spec.of(ling, 4, 4, "silu", ExpertRouting.Rule.softmaxTopK(2, true))
                        .withShared(-1, 4, "shared_experts", false, false));
        assertNamed(
                "n_group",
                () -> MixtureOfExperts.Spec.of(
                        ling, 4, 4, "silu", ExpertRouting.Rule.sigmoidGroupLimited(2, 3, 1, true, 1)));
        assertNamed("topk_group", () -> ExpertRouting.Rule.sigmoidGroupLimited(2, 2, 3, true, 1));
        assertNamed(
                "two best",
                () -> MixtureOfExperts.Spec.of(
                        ling, 4, 4, "silu", ExpertRouting.Rule.sigmoidGroupLimited(1, 4, 2, true, 1)));
        assertNamed(
                "hidden_act",
                () -> MixtureOfExperts.Spec.of(ling, 4, 4, "relu6", ExpertRouting.Rule.softmaxTopK(2, true)));
    }

    @Test
    void sparseLayersFromMlpLayerTypesOrTheFirstDenseLayers() throws Exception {
        IntPredicate listed =
                MixtureOfExperts.sparseLayers(config("{\"mlp_layer_types\": [\"sparse\", \"dense\"]}"), 2, 1);
        assertTrue(listed.test(0));
        assertFalse(listed.test(1));
        IntPredicate first = MixtureOfExperts.sparseLayers(config("{\"first_k_dense_replace\": 2}"), 3, 0);
        assertFalse(first.test(1));
        assertTrue(first.test(2));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> MixtureOfExperts.sparseLayers(config("{\"mlp_layer_types\": [\"moe\", \"dense\"]}"), 2, 0));
        assertTrue(e.getMessage().contains("mlp_layer_types"), e.getMessage());
    }

    private HfConfig config(String json) throws Exception {
        Path file = Files.createTempFile(dir, "config", ".json");
        Files.writeString(file, json);
        return HfConfig.read(file);
    }

    private static void assertNamed(String field, Runnable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::run);
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }
}
