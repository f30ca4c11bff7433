package dev.osprey.models.deepseek;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.Sgd;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.LoraWeights;
import dev.osprey.model.reference.HfReference;

/**
 * Gradients pass through the plugin's own blocks: LoRA SFT steps on the tiny DeepSeek-V3 checkpoint lower the
 * loss with every MLA projection's adapter learning and the base frozen; a full fine-tune trains the router
 * through the gathered routing weights. Config errors name their field.
 */
class DeepseekTrainingTest {

    private static NDArray batch(NDManager manager) {
        return manager.create(new long[] {5, 9, 12, 5, 9, 12, 5, 9, 30, 31, 32, 33, 30, 31, 32, 33}, new Shape(2, 8));
    }

    @Test
    void loraStepsLowerTheLossAndEveryLatentProjectionLearns() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                HfModel loaded = ModelLoader.load(
                        HfReference.fixture(getClass(), "deepseek-v3"),
                        c -> new DeepseekV3Architecture(),
                        manager,
                        DataType.FLOAT32)) {
            DecoderModel model = (DecoderModel) loaded.model();
            NDArray baseKvB = model.parameters()
                    .get("model.layers.0.self_attn.kv_b_proj.weight")
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
            float[] losses = Sgd.run(model, batch(manager), "sft", trainable, 10, 0.05f);
            assertTrue(losses[1] < losses[0] * 0.9, "LoRA loss " + losses[0] + " -> " + losses[1]);
            for (String name : List.of(
                    "model.layers.0.self_attn.q_a_proj",
                    "model.layers.0.self_attn.q_b_proj",
                    "model.layers.0.self_attn.kv_a_proj_with_mqa",
                    "model.layers.0.self_attn.kv_b_proj",
                    "model.layers.0.self_attn.o_proj",
                    "model.layers.1.mlp.shared_experts.down_proj")) {
                NDArray[] b = adapters.get(name);
                assertTrue(b != null, "no LoRA on " + name + "; adapted: " + adapters.keySet());
                assertTrue(b[0].sub(b[1]).abs().max().getFloat() > 0, name + "'s LoRA B did not learn");
            }
            assertEquals(
                    0f,
                    model.parameters()
                            .get("model.layers.0.self_attn.kv_b_proj.weight")
                            .sub(baseKvB)
                            .abs()
                            .max()
                            .getFloat(),
                    "the base weights stay frozen");
        }
    }

    @Test
    void fullFineTuningTrainsTheRouter() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                HfModel loaded = ModelLoader.load(
                        HfReference.fixture(getClass(), "deepseek-v3"),
                        c -> new DeepseekV3Architecture(),
                        manager,
                        DataType.FLOAT32)) {
            DecoderModel model = (DecoderModel) loaded.model();
            NDArray router = model.parameters().get("model.layers.1.mlp.gate.weight");
            NDArray before = router.duplicate();
            float[] losses = Sgd.run(
                    model,
                    batch(manager),
                    null,
                    new ArrayList<>(model.parameters().values()),
                    5,
                    0.02f);
            assertTrue(losses[1] < losses[0], "full loss " + losses[0] + " -> " + losses[1]);
            assertTrue(router.sub(before).abs().max().getFloat() > 0, "the router got no gradient");
        }
    }

    @Test
    void configErrorsNameTheirField() throws Exception {
        HfConfig fixture =
                HfConfig.read(HfReference.fixture(getClass(), "deepseek-v3").resolve("config.json"));
        Map<String, Object> tooManyGroups = new HashMap<>(fixture.asMap());
        tooManyGroups.put("topk_group", 5);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new DeepseekV3Architecture().layout(HfConfig.of(tooManyGroups, fixture.source())));
        assertTrue(e.getMessage().contains("topk_group"), e.getMessage());

        Map<String, Object> v2 = new HashMap<>(fixture.asMap());
        v2.put("topk_method", "noaux_tc");
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new DeepseekV2Architecture().layout(HfConfig.of(v2, fixture.source())));
        assertTrue(e.getMessage().contains("topk_method"), e.getMessage());
    }
}
