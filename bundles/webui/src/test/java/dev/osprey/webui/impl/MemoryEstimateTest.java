package dev.osprey.webui.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.checkpoint.WeightFiles;

class MemoryEstimateTest {

    /** The shipped demo model: a Qwen2-shaped decoder of two layers. */
    private static final Path TINY_CHAT = Path.of("../../distribution/src/main/dist/demo/tiny-chat");

    private static MemoryEstimate.Shape tinyChat() throws Exception {
        return MemoryEstimate.Shape.of(
                new ObjectMapper().readTree(TINY_CHAT.resolve("config.json").toFile()));
    }

    private static MemoryEstimate.Settings settings(String trainType, int quantBits, boolean checkpointing) {
        return new MemoryEstimate.Settings(
                trainType, quantBits, 16, List.of("all-linear"), 8, 128, checkpointing, "float32");
    }

    @Test
    void theConfigFormulaCountsWhatTheCheckpointHolds() throws Exception {
        WeightFiles files = WeightFiles.open(TINY_CHAT);
        long counted =
                files.names().stream().mapToLong(n -> files.info(n).numel()).sum();
        // embedding 96·64, two layers of 49 152 linear weights, q/k/v biases (64 + 32 + 32) and two norms, final
        // norm, untied head 96·64
        assertEquals(111_168, tinyChat().parameters());
        assertEquals(counted, tinyChat().parameters(), "config.json's shape against the safetensors headers");
    }

    @Test
    void loraTrainsRankTimesInPlusOutOfEachTargetedLinear() throws Exception {
        MemoryEstimate lora = MemoryEstimate.of(tinyChat(), settings("lora", 0, true), 0);
        // per layer 16·(128 + 96 + 96 + 128 + 256 + 256 + 256), two layers
        assertEquals(38_912, lora.trainable());
        assertEquals(38_912L * 4, lora.gradients());
        assertEquals(38_912L * 8, lora.optimizer(), "AdamW's two float32 moments");
        assertEquals(111_168L * 4, lora.weights(), "float32 weights");
        MemoryEstimate onlyQv = MemoryEstimate.of(
                tinyChat(),
                new MemoryEstimate.Settings("lora", 0, 16, List.of("q_proj", "v_proj"), 8, 128, true, "float32"),
                0);
        assertEquals(2 * 16 * (128 + 96), onlyQv.trainable());
    }

    @Test
    void fullTrainingPaysGradientsAndOptimizerForEveryParameter() throws Exception {
        MemoryEstimate full = MemoryEstimate.of(tinyChat(), settings("full", 0, true), 0);
        assertEquals(111_168, full.trainable());
        assertEquals(0, full.adapters());
        assertEquals(111_168L * 12, full.gradients() + full.optimizer());
    }

    @Test
    void qloraStoresTheLinearsAtTheirBits() throws Exception {
        MemoryEstimate qlora = MemoryEstimate.of(tinyChat(), settings("lora", 4, true), 0);
        long linears = 98_304;
        assertEquals(linears / 2 + (111_168 - linears) * 4, qlora.weights());
    }

    @Test
    void activationsFollowTheDocumentedFormula() throws Exception {
        long perLayer = 7 * 64 + 2 * 2 * 16 + 4 * 192 + 2 * 4 * 128; // per token: kept values and attention scores
        long tokens = 8 * 128;
        MemoryEstimate without = MemoryEstimate.of(tinyChat(), settings("lora", 0, false), 0);
        assertEquals(tokens * (2 * perLayer + 2 * 96) * 4, without.activations());
        MemoryEstimate with = MemoryEstimate.of(tinyChat(), settings("lora", 0, true), 0);
        assertEquals(tokens * (2 * 64 + perLayer + 2 * 96) * 4, with.activations());
        assertTrue(with.activations() < without.activations());
        MemoryEstimate half = MemoryEstimate.of(
                tinyChat(),
                new MemoryEstimate.Settings("lora", 0, 16, List.of("all-linear"), 8, 128, false, "bfloat16"),
                0);
        assertEquals(without.activations() / 2, half.activations());
        assertEquals(without.weights() / 2, half.weights());
    }

    @Test
    void aConfigWithoutTheShapeIsNamed() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> MemoryEstimate.Shape.of(new ObjectMapper().readTree("{\"hidden_size\": 8}")));
        assertTrue(e.getMessage().contains("config.json has no num_attention_heads"), e.getMessage());
    }
}
