package dev.osprey.train.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;

import dev.osprey.api.engine.Scalars;

/**
 * AdamW as PyTorch implements it ({@code torch.optim.AdamW}, the Trainer's default): weight decay is
 * decoupled from the gradient ({@code p ← p·(1 − lr·wd)}), then
 * {@code p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)}. Parameters whose gradient is absent are skipped.
 * Not thread-safe: one training loop owns it, and closes it when the run ends (the moments are twice the
 * trained parameters' size).
 */
public final class AdamW implements AutoCloseable {

    private final Map<String, NDArray> params;
    private final Predicate<String> decays;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
    private Map<String, Double> learningRateScales = Map.of();
    private long step;

    private static final Pattern LEGACY_LORA_KEY = Pattern.compile("lora\\.(\\d+)");

    /**
     * @param params the trainable arrays by name; they must require gradients
     * @param decays which parameters get weight decay (see {@link #decaysByDefault})
     */
    public AdamW(
            Map<String, NDArray> params,
            Predicate<String> decays,
            double beta1,
            double beta2,
            double eps,
            double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("adam betas must be in [0, 1), were " + beta1 + ", " + beta2);
        }
        if (!(eps > 0) || weightDecay < 0) {
            throw new IllegalArgumentException("adam_epsilon must be > 0 and weight_decay >= 0");
        }
        this.params = new LinkedHashMap<>(params);
        this.decays = decays;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** The Trainer's defaults: β = (0.9, 0.999), ε = 1e-8. */
    public static AdamW withDefaults(Map<String, NDArray> params, double weightDecay) {
        return new AdamW(params, AdamW::decaysByDefault, 0.9, 0.999, 1e-8, weightDecay);
    }

    /** Hugging Face's rule: no weight decay on biases and normalisation weights. */
    public static boolean decaysByDefault(String name) {
        return !name.endsWith(".bias") && !name.contains("norm");
    }

    /**
     * Gives some parameters their own learning rate, {@code lr} times their scale ({@code --vit_lr} and
     * {@code --aligner_lr} as parameter groups do in PyTorch: the schedule scales every group alike).
     */
    public AdamW withLearningRateScales(Map<String, Double> scales) {
        learningRateScales = Map.copyOf(scales);
        return this;
    }

    /** Steps taken so far. */
    public long steps() {
        return step;
    }

    /** One update at learning rate {@code scheduledLr} (times a parameter's scale) from the current gradients. */
    public void step(double scheduledLr) {
        step++;
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2 = 1 - Math.pow(beta2, step);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            if (!p.hasGradient()) {
                continue;
            }
            double lr = scheduledLr * learningRateScales.getOrDefault(e.getKey(), 1.0);
            NDArray[] m = moments.computeIfAbsent(e.getKey(), k -> new NDArray[] {p.zerosLike(), p.zerosLike()});
            // the gradient's handle closed after use (each read makes a new one on the model's manager); every
            // temporary is one parameter's size, made once, changed in place and closed at once, instead of eight
            // left to the end of the update: the same operations on the same operands, so the same bits
            try (NDArray g = p.getGradient();
                    NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                // update through a detached view of the same storage: autograd refuses in-place changes to a
                // leaf that requires grad on threads where gradient recording is on (PyTorch's default)
                NDArray target = p.stopGradient();
                if (weightDecay != 0 && decays.test(e.getKey())) {
                    Scalars.muli(target, 1 - lr * weightDecay);
                }
                try (NDArray scaled = Scalars.mul(g, 1 - beta1)) {
                    Scalars.muli(m[0], beta1).addi(scaled); // exp_avg
                }
                try (NDArray squares = g.mul(g)) {
                    Scalars.muli(m[1], beta2).addi(Scalars.muli(squares, 1 - beta2)); // exp_avg_sq
                }
                NDArray update;
                try (NDArray denom = m[1].sqrt();
                        NDArray root = Scalars.of(denom, Math.sqrt(biasCorrection2));
                        NDArray epsilon = Scalars.of(denom, eps)) {
                    denom.divi(root).addi(epsilon); // √v / √(1−β₂ᵗ) + ε
                    update = m[0].div(denom);
                }
                try (update) {
                    target.subi(Scalars.muli(update, lr / biasCorrection1));
                }
            }
        }
    }

    /** Sets every gradient to zero, for the next accumulation. */
    public void zeroGrad() {
        for (NDArray p : params.values()) {
            if (p.hasGradient()) {
                try (NDArray g = p.getGradient()) {
                    g.set(new NDIndex("..."), 0f); // a fill: g - g would keep NaN and make inf NaN
                }
            }
        }
    }

    /** Frees both moments of every parameter: what a run that has finished no longer needs. */
    @Override
    public void close() {
        moments.values().forEach(m -> {
            for (NDArray a : m) {
                if (a != null) {
                    a.close();
                }
            }
        });
        moments.clear();
    }

    /** The optimizer's state for a checkpoint: both moments per parameter ({@code NAME.exp_avg}, {@code NAME.exp_avg_sq}). */
    public Map<String, NDArray> state() {
        Map<String, NDArray> state = new LinkedHashMap<>();
        moments.forEach((name, m) -> {
            state.put(name + ".exp_avg", m[0]);
            state.put(name + ".exp_avg_sq", m[1]);
        });
        return state;
    }

    /**
     * Restores what {@link #state()} saved and the step count, so training resumes exactly.
     *
     * @throws IllegalArgumentException naming a moment whose parameter is unknown or whose shape differs
     */
    public void restore(Map<String, NDArray> state, long steps) {
        List<String> order = List.copyOf(params.keySet());
        for (Map.Entry<String, NDArray> e : state.entrySet()) {
            String key = e.getKey();
            int dot = key.lastIndexOf('.');
            String name = key.substring(0, dot);
            Matcher legacy = LEGACY_LORA_KEY.matcher(name);
            if (!params.containsKey(name) && legacy.matches() && Integer.parseInt(legacy.group(1)) < order.size()) {
                name = order.get(Integer.parseInt(
                        legacy.group(1))); // checkpoints before 1.1 keyed adapters lora.0, lora.1, ... in this order
            }
            NDArray p = params.get(name);
            if (p == null || !p.getShape().equals(e.getValue().getShape())) {
                throw new IllegalArgumentException(
                        "optimizer state '" + key + "' does not fit the trainable parameters");
            }
            NDArray[] m = moments.computeIfAbsent(name, k -> new NDArray[2]);
            m[key.endsWith(".exp_avg") ? 0 : 1] = e.getValue().duplicate();
        }
        this.step = steps;
    }
}
