package dev.osprey.train.sft;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.LoraWeights;

/**
 * LoRA as PEFT initialises it: A from kaiming-uniform (a = √5, i.e. U(−1/√in, 1/√in)), B zeros, so the
 * adapted model starts equal to the base. With DoRA each layer also gets a magnitude vector, initialised
 * to the row norms of its base weight (dequantized when the base is quantized).
 *
 * @param rank {@code --lora_rank}
 * @param alpha {@code --lora_alpha}
 * @param targetModules module names (the last part of a linear layer's name), or {@code all-linear}
 * @param rsLora scale by alpha/√r instead of alpha/r
 * @param useDora {@code --use_dora}: weight-decomposed LoRA (PEFT's {@code use_dora})
 */
public record LoraConfig(int rank, double alpha, Set<String> targetModules, boolean rsLora, boolean useDora) {

    public static final String ALL_LINEAR = "all-linear";

    public LoraConfig {
        if (rank <= 0) {
            throw new IllegalArgumentException("--lora_rank must be positive, was " + rank);
        }
        targetModules = Set.copyOf(targetModules);
    }

    /** Plain LoRA (no DoRA). */
    public LoraConfig(int rank, double alpha, Set<String> targetModules, boolean rsLora) {
        this(rank, alpha, targetModules, rsLora, false);
    }

    /**
     * The A and B arrays (and DoRA's magnitude) of adapter {@code name}, layer by layer in that order, named
     * by their PEFT keys without the {@code base_model.model.} prefix ({@code model.layers.0.self_attn.q_proj.lora_A},
     * {@code ...lora_B}, {@code ...lora_magnitude_vector}) for a fresh adapter and one loaded from a
     * checkpoint alike (the optimizer state is keyed by these names, and errors name them), each set to
     * require gradients.
     */
    public static Map<String, NDArray> trainable(List<Linear> linears, String name) {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (Linear l : linears) {
            LoraWeights w = l.adapter(name);
            if (w != null) {
                arrays.put(l.name() + ".lora_A", w.a());
                arrays.put(l.name() + ".lora_B", w.b());
                if (w.isDora()) {
                    arrays.put(l.name() + ".lora_magnitude_vector", w.magnitude());
                }
            }
        }
        arrays.values().forEach(a -> a.setRequiresGradient(true));
        return arrays;
    }

    /**
     * Attaches a fresh adapter named {@code name} to the matching layers.
     *
     * @return the trainable arrays (A, B and, with DoRA, the magnitude of every attached layer)
     * @throws IllegalArgumentException when no layer matches, naming the modules the model has
     */
    public List<NDArray> attach(List<Linear> linears, String name, NDManager manager, long seed) {
        manager.getEngine().setRandomSeed((int) seed);
        List<NDArray> trainable = new ArrayList<>();
        for (Linear l : linears) {
            String leaf = l.name().substring(l.name().lastIndexOf('.') + 1);
            if (targetModules.contains(ALL_LINEAR) || targetModules.contains(leaf)) {
                float bound = (float) (1 / Math.sqrt(l.inFeatures()));
                NDArray a = manager.randomUniform(-bound, bound, new Shape(rank, l.inFeatures()), DataType.FLOAT32);
                NDArray b = manager.zeros(new Shape(l.outFeatures(), rank));
                a.setRequiresGradient(true);
                b.setRequiresGradient(true);
                double scaling = LoraWeights.scaling(alpha, rank, rsLora);
                trainable.add(a);
                trainable.add(b);
                if (useDora) {
                    NDArray magnitude = l.attachDora(name, a, b, scaling).magnitude();
                    magnitude.setRequiresGradient(true);
                    trainable.add(magnitude);
                } else {
                    l.attach(name, new LoraWeights(a, b, scaling));
                }
            }
        }
        if (trainable.isEmpty()) {
            throw new IllegalArgumentException("--target_modules " + targetModules
                    + " matches no linear layer; the model has "
                    + linears.stream()
                            .map(l -> l.name().substring(l.name().lastIndexOf('.') + 1))
                            .distinct()
                            .sorted()
                            .toList());
        }
        return trainable;
    }

    /** Sets PEFT's {@code lora_dropout} on adapter {@code name} of every layer that has it (fresh or loaded). */
    public static void setDropout(List<Linear> linears, String name, double rate) {
        for (Linear l : linears) {
            LoraWeights w = l.adapter(name);
            if (w != null) {
                l.attach(name, w.withDropout((float) rate));
            }
        }
    }
}
