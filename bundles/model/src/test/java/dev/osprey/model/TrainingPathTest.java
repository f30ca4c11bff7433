package dev.osprey.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.decoder.DecoderSpec;
import dev.osprey.model.decoder.MoeSpec;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.LoraWeights;

/**
 * The model core carries gradients: a few plain SGD steps through real autograd lower the loss, for
 * LoRA (only A and B learn), for full fine-tuning, and through the sparse experts. The training issue
 * builds the optimiser on this path.
 */
class TrainingPathTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray batch() {
        return manager.create(new long[] {5, 9, 12, 5, 9, 12, 5, 9, 30, 31, 32, 33, 30, 31, 32, 33}, new Shape(2, 8));
    }

    @Test
    void loraStepsLowerTheLossAndLeaveTheBaseUntouched() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 31);
        NDArray baseQ =
                model.parameters().get("model.layers.0.self_attn.q_proj.weight").duplicate();
        List<NDArray> trainable = new ArrayList<>();
        for (Linear l : model.linears()) {
            NDArray a = manager.randomNormal(0, 0.1f, new Shape(4, l.inFeatures()), DataType.FLOAT32);
            NDArray b = manager.zeros(new Shape(l.outFeatures(), 4));
            l.attach("train", new LoraWeights(a, b, LoraWeights.scaling(8, 4, false)));
            trainable.add(a);
            trainable.add(b);
        }
        float[] losses = Sgd.run(model, batch(), "train", trainable, 15, 0.05f);
        assertTrue(losses[1] < losses[0] * 0.9, "LoRA loss " + losses[0] + " -> " + losses[1]);
        assertEquals(
                0f,
                model.parameters()
                        .get("model.layers.0.self_attn.q_proj.weight")
                        .sub(baseQ)
                        .abs()
                        .max()
                        .getFloat(),
                0f);
    }

    @Test
    void fullFineTuningStepsLowerTheLoss() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 32);
        float[] losses =
                Sgd.run(model, batch(), null, new ArrayList<>(model.parameters().values()), 15, 0.05f);
        assertTrue(losses[1] < losses[0] * 0.9, "full loss " + losses[0] + " -> " + losses[1]);
    }

    @Test
    void gradientsReachTheChosenExperts() {
        DecoderSpec moe = TinyModels.llama()
                .withMoe(
                        new MoeSpec(4, 2, true, 24, "block_sparse_moe", List.of("w1", "w3", "w2"), java.util.Set.of()));
        DecoderModel model = TinyModels.build(manager, moe, 33);
        float[] losses =
                Sgd.run(model, batch(), null, new ArrayList<>(model.parameters().values()), 15, 0.05f);
        assertTrue(losses[1] < losses[0] * 0.9, "MoE loss " + losses[0] + " -> " + losses[1]);
    }
}
