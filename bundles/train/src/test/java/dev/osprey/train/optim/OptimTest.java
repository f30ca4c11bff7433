package dev.osprey.train.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

/** AdamW, schedules and clipping against their formulas, computed here in doubles. */
class OptimTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    /** Sets p's gradient to {@code g} through autograd: the gradient of sum(p * g). */
    private void setGradient(NDArray p, float[] g) {
        try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
            c.backward(p.mul(manager.create(g)).sum());
        }
    }

    /** torch.optim.AdamW on one scalar parameter, in doubles. */
    private static double[] referenceAdamW(double p0, double[] grads, double[] lrs, double wd) {
        double p = p0;
        double m = 0;
        double v = 0;
        double[] trace = new double[grads.length];
        for (int t = 1; t <= grads.length; t++) {
            double g = grads[t - 1];
            double lr = lrs[t - 1];
            p *= 1 - lr * wd;
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8;
            p -= lr / (1 - Math.pow(0.9, t)) * m / denom;
            trace[t - 1] = p;
        }
        return trace;
    }

    @Test
    void adamWFollowsPyTorchWithDecoupledWeightDecay() {
        double[] grads = {0.5, -1.0, 0.25, 2.0, -0.75};
        double[] lrs = {1e-2, 1e-2, 5e-3, 5e-3, 1e-3};
        NDArray decayed = manager.create(new float[] {1.5f});
        NDArray norm = manager.create(new float[] {1.5f});
        decayed.setRequiresGradient(true);
        norm.setRequiresGradient(true);
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put("model.layers.0.mlp.up_proj.weight", decayed);
        params.put("model.layers.0.input_layernorm.weight", norm);
        AdamW adam = AdamW.withDefaults(params, 0.1);
        double[] withDecay = referenceAdamW(1.5, grads, lrs, 0.1);
        double[] without = referenceAdamW(1.5, grads, lrs, 0);
        for (int t = 0; t < grads.length; t++) {
            setGradient(decayed, new float[] {(float) grads[t]});
            setGradient(norm, new float[] {(float) grads[t]});
            adam.step(lrs[t]);
            adam.zeroGrad(); // gradients accumulate across backward passes until zeroed, as in PyTorch
            assertEquals(withDecay[t], decayed.getFloat(), 1e-6, "decayed at step " + t);
            assertEquals(without[t], norm.getFloat(), 1e-6, "norms are not decayed, step " + t);
        }
        assertEquals(5, adam.steps());
        assertTrue(AdamW.decaysByDefault("lm_head.weight"));
        assertFalse(AdamW.decaysByDefault("model.layers.1.self_attn.q_proj.bias"));
    }

    @Test
    void aScaledParameterFollowsPyTorchAtItsOwnLearningRate() {
        // --vit_lr / --aligner_lr: a parameter group whose rate is the scheduled one times its scale
        double[] grads = {0.5, -1.0, 0.25};
        double[] lrs = {1e-2, 5e-3, 1e-3};
        NDArray vision = manager.create(new float[] {1.5f});
        NDArray language = manager.create(new float[] {1.5f});
        vision.setRequiresGradient(true);
        language.setRequiresGradient(true);
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put("visual.blocks.0.attn.qkv.weight", vision);
        params.put("model.layers.0.mlp.up_proj.weight", language);
        AdamW adam =
                AdamW.withDefaults(params, 0.1).withLearningRateScales(Map.of("visual.blocks.0.attn.qkv.weight", 0.1));
        double[] scaled = referenceAdamW(
                1.5, grads, Arrays.stream(lrs).map(lr -> lr * 0.1).toArray(), 0.1);
        double[] plain = referenceAdamW(1.5, grads, lrs, 0.1);
        for (int t = 0; t < grads.length; t++) {
            setGradient(vision, new float[] {(float) grads[t]});
            setGradient(language, new float[] {(float) grads[t]});
            adam.step(lrs[t]);
            adam.zeroGrad();
            assertEquals(scaled[t], vision.getFloat(), 1e-6, "scaled at step " + t);
            assertEquals(plain[t], language.getFloat(), 1e-6, "unscaled at step " + t);
        }
    }

    @Test
    void restoringTheStateContinuesExactly() {
        float[][] grads = {{0.1f, -0.2f}, {0.3f, 0.1f}, {-0.5f, 0.4f}, {0.2f, 0.2f}, {0.05f, -0.3f}, {0.7f, 0.1f}};
        NDArray straight = manager.create(new float[] {1f, -1f});
        straight.setRequiresGradient(true);
        AdamW a = AdamW.withDefaults(Map.of("w", straight), 0.01);
        for (float[] g : grads) {
            setGradient(straight, g);
            a.step(0.01);
            a.zeroGrad();
        }
        NDArray resumed = manager.create(new float[] {1f, -1f});
        resumed.setRequiresGradient(true);
        AdamW first = AdamW.withDefaults(Map.of("w", resumed), 0.01);
        for (int i = 0; i < 3; i++) {
            setGradient(resumed, grads[i]);
            first.step(0.01);
            first.zeroGrad();
        }
        AdamW second = AdamW.withDefaults(Map.of("w", resumed), 0.01);
        second.restore(first.state(), first.steps());
        for (int i = 3; i < 6; i++) {
            setGradient(resumed, grads[i]);
            second.step(0.01);
            second.zeroGrad();
        }
        assertArrayEquals(straight.toFloatArray(), resumed.toFloatArray(), 0f);
        assertThrows(
                IllegalArgumentException.class,
                () -> second.restore(Map.of("nope.exp_avg", manager.zeros(new ai.djl.ndarray.types.Shape(2))), 1));
    }

    @Test
    void schedulesMatchTransformers() {
        LrSchedule linear = new LrSchedule("linear", 1e-4, 10, 110);
        assertEquals(0, linear.at(0), 0);
        assertEquals(5e-5, linear.at(5), 1e-15);
        assertEquals(1e-4, linear.at(10), 1e-15);
        assertEquals(5e-5, linear.at(60), 1e-15);
        assertEquals(0, linear.at(110), 0);
        LrSchedule cosine = new LrSchedule("cosine", 1e-4, 10, 110);
        assertEquals(1e-4, cosine.at(10), 1e-15);
        assertEquals(5e-5, cosine.at(60), 1e-15);
        assertEquals(1e-4 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), cosine.at(35), 1e-15);
        assertEquals(1e-4, new LrSchedule("constant", 1e-4, 10, 110).at(0), 0);
        assertEquals(3e-5, new LrSchedule("constant_with_warmup", 1e-4, 10, 110).at(3), 1e-15);
        assertEquals(11, LrSchedule.withWarmupRatio("linear", 1e-4, 0.1, 101).warmupSteps(), "rounded up");
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule("exponential", 1e-4, 0, 10));
    }

    @Test
    void clippingScalesAllGradientsByTheGlobalNorm() {
        NDArray a = manager.create(new float[] {3f});
        NDArray b = manager.create(new float[] {4f});
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        setGradient(a, new float[] {3f});
        setGradient(b, new float[] {4f});
        assertEquals(5.0, GradientClipping.clip(List.of(a, b), 1.0), 1e-6);
        assertEquals(0.6, a.getGradient().getFloat(), 1e-6);
        assertEquals(0.8, b.getGradient().getFloat(), 1e-6);
        assertEquals(1.0, GradientClipping.clip(List.of(a, b), 10.0), 1e-5, "under the bound: unchanged");
        assertEquals(0.6, a.getGradient().getFloat(), 1e-6);
    }

    @Test
    void aNonFiniteGradientStopsTheRunNamingTheStepAndTheParameterWithoutRetrying() {
        NDArray finite = manager.create(new float[] {1f, 2f});
        NDArray broken = manager.create(new float[] {1f, 2f, 3f});
        finite.setRequiresGradient(true);
        broken.setRequiresGradient(true);
        Map<String, NDArray> trainable = new LinkedHashMap<>();
        trainable.put("model.layers.0.self_attn.q_proj.lora_A", finite);
        trainable.put("model.layers.1.mlp.down_proj.lora_B", broken);
        OptimizerSteps steps = new OptimizerSteps(trainable, 1e-3, "constant", 0, 0, 1.0, 10);
        int[] passes = {0};
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> steps.step(6, () -> {
                    passes[0]++;
                    setGradient(finite, new float[] {0.5f, 0.5f});
                    setGradient(broken, new float[] {0.5f, Float.NaN, 1f});
                    return Map.of("loss", 1.25);
                }));
        assertEquals(1, passes[0], "the step is not recomputed");
        assertTrue(e.getMessage().startsWith("training diverged at step 7: loss 1.25"), e.getMessage());
        assertTrue(
                e.getMessage()
                        .contains("non-finite gradients in 1 parameter(s): model.layers.1.mlp.down_proj.lora_B (3)"),
                e.getMessage());
        assertArrayEquals(new float[] {1f, 2f, 3f}, broken.toFloatArray(), "nothing is updated");
    }

    @Test
    void optimizerStateSavedUnderTheOldAdapterKeysRestoresByPosition() {
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put("model.layers.0.self_attn.q_proj.lora_A", manager.zeros(new Shape(2)));
        params.put("model.layers.0.self_attn.q_proj.lora_B", manager.zeros(new Shape(3)));
        AdamW adam = AdamW.withDefaults(params, 0);
        adam.restore(
                Map.of(
                        "lora.1.exp_avg",
                        manager.create(new float[] {1f, 2f, 3f}),
                        "lora.1.exp_avg_sq",
                        manager.create(new float[] {4f, 5f, 6f})),
                7);
        assertArrayEquals(
                new float[] {1f, 2f, 3f},
                adam.state()
                        .get("model.layers.0.self_attn.q_proj.lora_B.exp_avg")
                        .toFloatArray());
        assertEquals(7, adam.steps());
        assertThrows(
                IllegalArgumentException.class,
                () -> adam.restore(Map.of("lora.2.exp_avg", manager.zeros(new Shape(3))), 7),
                "a position past the parameters is refused");
    }
}
