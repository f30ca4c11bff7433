package dev.osprey.models.baichuan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.model.Sgd;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.LoraWeights;
import dev.osprey.model.reference.HfReference;

/**
 * LoRA SFT steps on the tiny Baichuan 2 checkpoint (ALiBi, NormHead) lower the loss, with adapters on Baichuan's
 * own names (the packed W_pack, o_proj and the MLP) learning, the normalized head taking none and the base frozen.
 */
class BaichuanTrainingTest {

    @Test
    void loraStepsLowerTheLossThroughAlibiAndTheNormHead() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                HfModel loaded = ModelLoader.load(
                        HfReference.fixture(getClass(), "baichuan2-13b"),
                        c -> new BaichuanReferenceTest.TinyBaichuan2(),
                        manager,
                        DataType.FLOAT32)) {
            DecoderModel model = (DecoderModel) loaded.model();
            NDArray basePack = model.parameters()
                    .get("model.layers.0.self_attn.W_pack.weight")
                    .duplicate();
            List<NDArray> trainable = new ArrayList<>();
            Map<String, NDArray[]> adapters = new HashMap<>();
            for (Linear l : LoraMerge.linearsOf(model)) {
                NDArray a = manager.randomNormal(0, 0.1f, new Shape(4, l.inFeatures()), DataType.FLOAT32);
                NDArray b = manager.zeros(new Shape(l.outFeatures(), 4));
                l.attach("sft", new LoraWeights(a, b, LoraWeights.scaling(8, 4, false)));
                trainable.add(a);
                trainable.add(b);
                adapters.put(l.name(), new NDArray[] {b, b.duplicate()});
            }
            NDArray batch = manager.create(
                    new long[] {5, 9, 12, 5, 9, 12, 5, 9, 30, 31, 32, 33, 30, 31, 32, 33}, new Shape(2, 8));
            float[] losses = Sgd.run(model, batch, "sft", trainable, 10, 0.05f);
            assertTrue(losses[1] < losses[0] * 0.9, "LoRA loss " + losses[0] + " -> " + losses[1]);
            for (String name : List.of(
                    "model.layers.0.self_attn.W_pack",
                    "model.layers.0.self_attn.o_proj",
                    "model.layers.1.mlp.gate_proj",
                    "model.layers.1.mlp.down_proj")) {
                NDArray[] b = adapters.get(name);
                assertTrue(b != null, "no LoRA on " + name + "; adapted: " + adapters.keySet());
                assertTrue(b[0].sub(b[1]).abs().max().getFloat() > 0, name + "'s LoRA B did not learn");
            }
            assertTrue(!adapters.containsKey("lm_head"), "the normalized head takes no adapter");
            assertEquals(
                    0f,
                    model.parameters()
                            .get("model.layers.0.self_attn.W_pack.weight")
                            .sub(basePack)
                            .abs()
                            .max()
                            .getFloat(),
                    "the base weights stay frozen");
        }
    }
}
