package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ProviderType;

import ai.djl.ndarray.types.DataType;

/**
 * Where a block gets its parameters, each under its checkpoint key. Fresh parameters are initialised
 * (normal(0, {@code initializer_range}) for weights, ones or zeros for the rest) and replaced by the
 * checkpoint's when the model is loaded; a key the checkpoint has but no block declared is reported as
 * unused, a declared key the checkpoint lacks as missing.
 */
@ProviderType
public interface Parameters {

    /**
     * A linear layer that LoRA adapts when its last name part is a target module.
     *
     * @param module the module name, e.g. {@code model.layers.0.self_attn.q_proj}
     * @param in input features
     * @param out output features
     * @param bias whether it has {@code MODULE.bias}
     * @throws IllegalStateException when the module is declared twice
     */
    Projection linear(String module, long in, long out, boolean bias);

    /**
     * A linear layer that LoRA never adapts (a router, a gate), as PEFT's {@code all-linear} leaves it; it is
     * trained in a full fine-tune.
     */
    Projection plainLinear(String module, long in, long out, boolean bias);

    /**
     * A linear layer stored as GPT-2's {@code Conv1D}: {@code y = x·W + b} with {@code MODULE.weight} (in, out),
     * the transpose of {@link #linear}'s; a LoRA target like it (PEFT's {@code fan_in_fan_out}), not quantizable.
     */
    Projection conv1d(String module, long in, long out, boolean bias);

    /** A vector of {@code size} ones (a norm's scale), under {@code key}. */
    Weight ones(String key, long size);

    /** A vector of {@code size} zeros (a bias, a scale stored as {@code w - 1}), under {@code key}. */
    Weight zeros(String key, long size);

    /** A weight of {@code shape} drawn from normal(0, {@code initializer_range}), under {@code key}. */
    Weight normal(String key, long... shape);

    /** The data type the parameters are held in (FLOAT32, FLOAT16 or BFLOAT16). */
    DataType dataType();
}
