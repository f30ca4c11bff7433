package dev.osprey.model.nn;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * {@code y = x Wᵀ + b} with W stored (out, in) as checkpoints store it, plus any LoRA adapters added on
 * top without touching W (unmerged), so several adapters can share one copy of the base weights.
 */
public final class Linear {

    private final String name;
    private final Param weight;
    private final Param bias;
    private final Map<String, LoraWeights> adapters = new ConcurrentHashMap<>();

    /**
     * @param name the module's checkpoint prefix, e.g. {@code model.layers.0.self_attn.q_proj}
     * @param bias whether the module has a {@code .bias}
     */
    public Linear(Params params, String name, long in, long out, boolean bias) {
        this.name = name;
        this.weight = params.normal(name + ".weight", new Shape(out, in));
        this.bias = bias ? params.constant(name + ".bias", new Shape(out), 0f) : null;
    }

    /** A linear layer over an existing weight, e.g. an output head tied to the embedding. */
    public Linear(String name, Param weight) {
        this.name = name;
        this.weight = weight;
        this.bias = null;
    }

    /** The checkpoint prefix, e.g. {@code model.layers.0.self_attn.q_proj}; LoRA targets match its last part. */
    public String name() {
        return name;
    }

    public Param weight() {
        return weight;
    }

    public long inFeatures() {
        return weight.shape().get(1);
    }

    public long outFeatures() {
        return weight.shape().get(0);
    }

    /**
     * @param x (..., in)
     * @param adapter the LoRA adapter to apply, or null for the base layer alone
     * @return (..., out)
     */
    public NDArray forward(NDArray x, String adapter) {
        NDArray y = x.matMul(weight.get().transpose()); // (..., out)
        if (bias != null) {
            y = y.add(bias.get());
        }
        LoraWeights lora = adapter == null ? null : adapters.get(adapter);
        if (lora != null) {
            y = y.add(lora.delta(x)); // (..., out)
        }
        return y;
    }

    public NDArray forward(NDArray x) {
        return forward(x, null);
    }

    /** Attaches a LoRA adapter under {@code adapterName}, replacing one of the same name. */
    public void attach(String adapterName, LoraWeights lora) {
        if (lora.inFeatures() != inFeatures() || lora.outFeatures() != outFeatures()) {
            throw new IllegalArgumentException("LoRA adapter '" + adapterName + "' for " + name + " is (" + lora.outFeatures()
                    + ", " + lora.inFeatures() + ") but the layer is (" + outFeatures() + ", " + inFeatures() + ")");
        }
        adapters.put(adapterName, lora);
    }

    /** Detaches an adapter; returns it (its arrays are the caller's to close), or null. */
    public LoraWeights detach(String adapterName) {
        return adapters.remove(adapterName);
    }

    public LoraWeights adapter(String adapterName) {
        return adapters.get(adapterName);
    }

    /** Adds the adapter's delta into W for good ({@code W += scaling * B A}) and detaches it. */
    public void merge(String adapterName) {
        LoraWeights lora = adapters.remove(adapterName);
        if (lora == null) {
            throw new IllegalArgumentException("no LoRA adapter '" + adapterName + "' on " + name);
        }
        NDArray merged = weight.get().add(lora.deltaWeight().toType(weight.get().getDataType(), false));
        weight.set(merged);
    }
}
