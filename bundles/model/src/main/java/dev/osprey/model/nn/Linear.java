package dev.osprey.model.nn;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.model.spi.Projection;

/**
 * {@code y = x Wᵀ + b} with W stored (out, in) as checkpoints store it, plus any LoRA or DoRA adapters
 * added on top without touching W (unmerged), so several adapters can share one copy of the base weights.
 *
 * <p>The base weight can be {@linkplain #quantize(QuantSpec) quantized} for QLoRA: it then lives only as
 * 4- or 8-bit codes plus scales, leaves the model's {@link Params} (it is frozen: not trained, saved or
 * loaded by name) and is dequantized into the input's type inside every forward pass. Gradients still flow
 * to the input and to the adapters. Inference passes (no gradient, not training) multiply int8 weights, and int4
 * weights once {@linkplain #packForInference packed}, by their codes with PyTorch's weight-only kernels instead.
 */
public final class Linear implements Projection {

    private final String name;
    private final Params params;
    private final Shape shape;
    /** GPT-2's Conv1D: the weight is stored (in, out) and multiplied without a transpose. */
    private final boolean fanInFanOut;

    private final Param weight;
    private final Param bias;
    private final Map<String, LoraWeights> adapters = new ConcurrentHashMap<>();
    private volatile QuantizedWeight quantized;
    private volatile RowBlocks rowBlocks;
    private volatile Consumer<NDArray> inputObserver;

    /**
     * @param name the module's checkpoint prefix, e.g. {@code model.layers.0.self_attn.q_proj}
     * @param bias whether the module has a {@code .bias}
     */
    public Linear(Params params, String name, long in, long out, boolean bias) {
        this(params, name, in, out, bias, false);
    }

    private Linear(Params params, String name, long in, long out, boolean bias, boolean fanInFanOut) {
        this.name = name;
        this.params = params;
        this.shape = new Shape(out, in);
        this.fanInFanOut = fanInFanOut;
        this.weight = params.normal(name + ".weight", fanInFanOut ? new Shape(in, out) : shape);
        this.bias = bias ? params.constant(name + ".bias", new Shape(out), 0f) : null;
    }

    /** GPT-2's {@code Conv1D}: {@code y = x W + b} with W stored (in, out); LoRA adapts it as PEFT's {@code fan_in_fan_out}. */
    public static Linear conv1d(Params params, String name, long in, long out, boolean bias) {
        return new Linear(params, name, in, out, bias, true);
    }

    /** A linear layer over an existing weight, e.g. an output head tied to the embedding; it cannot be quantized. */
    public Linear(String name, Param weight) {
        this.name = name;
        this.params = null;
        this.shape = weight.shape();
        this.fanInFanOut = false;
        this.weight = weight;
        this.bias = null;
    }

    /** The checkpoint prefix, e.g. {@code model.layers.0.self_attn.q_proj}; LoRA targets match its last part. */
    @Override
    public String name() {
        return name;
    }

    /**
     * The dense weight parameter.
     *
     * @throws IllegalStateException when the layer is quantized: its weight exists only as codes and scales
     *     (use {@link #dequantizedWeight(DataType)} for a copy)
     */
    public Param weight() {
        QuantizedWeight q = quantized;
        if (q != null) {
            throw new IllegalStateException(
                    "linear layer " + name + " is quantized (" + q.spec() + "): its weight is stored only as"
                            + " codes and scales; use dequantizedWeight(type) for a dense copy");
        }
        return weight;
    }

    /** True when the weight is stored (in, out) as GPT-2's {@code Conv1D} stores it (PEFT's {@code fan_in_fan_out}). */
    public boolean fanInFanOut() {
        return fanInFanOut;
    }

    @Override
    public long inFeatures() {
        return shape.get(1);
    }

    @Override
    public long outFeatures() {
        return shape.get(0);
    }

    /** The quantization of the base weight, if any. */
    public Optional<QuantSpec> quantization() {
        QuantizedWeight q = quantized;
        return q == null ? Optional.empty() : Optional.of(q.spec());
    }

    /** The quantized base weight, or null when the weight is dense. */
    public QuantizedWeight quantizedWeight() {
        return quantized;
    }

    /** Bytes the base weight occupies: codes and scales when quantized, else the dense array (bias excluded). */
    public long weightBytes() {
        QuantizedWeight q = quantized;
        return q != null
                ? q.storageBytes()
                : weight.get().size() * weight.get().getDataType().getNumOfBytes();
    }

    /**
     * A dense copy of the base weight in {@code type} (dequantized when quantized): a new array, the
     * caller's to close.
     *
     * @return (out, in)
     */
    public NDArray dequantizedWeight(DataType type) {
        QuantizedWeight q = quantized;
        return q != null ? q.dequantize(type) : outByIn(weight.get()).toType(type, true);
    }

    /** The stored weight as (out, in): a transposed view for a Conv1D layer. */
    private NDArray outByIn(NDArray stored) {
        return fanInFanOut ? stored.transpose() : stored; // (in, out) -> (out, in)
    }

    /**
     * Replaces the dense weight by a quantized copy and frees the dense array; the weight leaves the model's
     * parameters. Attached adapters stay and keep working (a DoRA magnitude keeps the value it has).
     *
     * @throws IllegalStateException when already quantized, or when the weight is shared (a tied output head)
     */
    public void quantize(QuantSpec spec) {
        if (quantized != null) {
            throw new IllegalStateException(
                    "linear layer " + name + " is already quantized (" + quantized.spec() + ")");
        }
        if (fanInFanOut) {
            throw new IllegalStateException("linear layer " + name
                    + " stores its weight (in, out) as GPT-2's Conv1D; quantizing that layout is not supported");
        }
        if (params == null || params.get(weight.name()) != weight) {
            throw new IllegalStateException("linear layer " + name + " uses the shared weight " + weight.name()
                    + " (a tied output head); it stays unquantized, as bitsandbytes keeps lm_head");
        }
        dropRowBlocks();
        quantized = QuantizedWeight.quantize(weight.get(), spec);
        params.remove(weight.name());
        weight.release();
    }

    /**
     * Takes a base weight that already exists in quantized form (a GPTQ or AWQ checkpoint's own codes) in place of
     * the dense one, which is never read; the weight leaves the model's parameters as with {@link #quantize}.
     *
     * @throws IllegalArgumentException when its shape is not the layer's (out, in)
     * @throws IllegalStateException when already quantized, or when the weight is stored (in, out) or shared
     */
    public void adoptQuantized(QuantizedWeight codes) {
        if (!codes.shape().equals(shape)) {
            throw new IllegalArgumentException("linear layer " + name + " is " + shape + " but its quantized weight ("
                    + codes.spec() + ") is " + codes.shape());
        }
        if (quantized != null) {
            throw new IllegalStateException(
                    "linear layer " + name + " is already quantized (" + quantized.spec() + ")");
        }
        if (fanInFanOut || params == null || params.get(weight.name()) != weight) {
            throw new IllegalStateException("linear layer " + name
                    + " stores its weight (in, out) or shares it; it cannot take a quantized weight");
        }
        dropRowBlocks();
        quantized = codes;
        params.remove(weight.name());
        weight.release();
    }

    /**
     * Puts an int4 base weight into the layout of PyTorch's int4 CPU kernel, so that inference passes multiply by
     * its codes (serving); a training pass or merge that dequantizes it later returns it to the plain layout.
     * Int8 weights need no packing; dense and NF4 weights have no packed kernel.
     *
     * @return why an int4 weight stays plain (the kernel's group, shape limits), or empty
     */
    public Optional<String> packForInference() {
        return quantized instanceof Int4Weight int4
                ? int4.pack().map(why -> name + " (" + int4.spec() + ", " + shape + "): " + why)
                : Optional.empty();
    }

    /**
     * Hands {@code observer} the input (..., in) of every forward pass until the returned handle is closed: how a
     * calibrating quantizer (GPTQ, AWQ) sees what the layer is fed. The observer must not close the array; it runs
     * on the forward pass's thread.
     *
     * @throws IllegalStateException when another observer is attached
     */
    public synchronized AutoCloseable observeInputs(Consumer<NDArray> observer) {
        if (inputObserver != null) {
            throw new IllegalStateException("linear layer " + name + " already has an input observer");
        }
        inputObserver = observer;
        return () -> {
            synchronized (this) {
                if (inputObserver == observer) {
                    inputObserver = null;
                }
            }
        };
    }

    /**
     * @param x (..., in)
     * @param adapter the LoRA adapter to apply, or null for the base layer alone
     * @return (..., out)
     */
    @Override
    public NDArray forward(NDArray x, String adapter) {
        Consumer<NDArray> observer = inputObserver;
        if (observer != null) {
            observer.accept(x);
        }
        QuantizedWeight q = quantized;
        LoraWeights lora = adapter == null ? null : adapters.get(adapter);
        boolean dora = lora != null && lora.isDora();
        NDArray w = null; // (out, in): not made when the codes are multiplied directly
        NDArray y;
        if (q instanceof Int8Weight codes && !dora && multipliesPacked(x)) {
            y = codes.multiply(x); // (..., out)
        } else if (q instanceof Int4Weight codes && codes.isPacked() && !dora && multipliesPacked(x)) {
            y = codes.multiply(x); // (..., out)
        } else {
            w = q != null ? q.dequantize(x.getDataType()) : outByIn(weight.get()); // (out, in)
            if (fanInFanOut) {
                y = x.matMul(weight.get()); // (..., in) x (in, out)
            } else {
                y = q == null && InferenceThreads.active() ? splitProduct(x, w) : x.matMul(w.transpose()); // (..., out)
            }
        }
        if (dora) {
            // PEFT: base + (s - 1)·base + s·delta with s = m / ‖W + scaling·B A‖ (detached); the bias is not scaled
            NDArray scale = lora.magnitudeScale(w); // (out)
            y = y.add(lora.delta(x)).mul(scale); // (..., out)
        }
        if (bias != null) {
            y = y.add(bias.get());
        }
        if (lora != null && !lora.isDora()) {
            y = y.add(lora.delta(x)); // (..., out)
        }
        return y;
    }

    public NDArray forward(NDArray x) {
        return forward(x, null);
    }

    /**
     * Whether a quantized weight multiplies by its codes with a packed kernel: in inference passes only, where no
     * gradient has to reach x and the BF16 rounding of the kernel does not change what training computes.
     */
    private static boolean multipliesPacked(NDArray x) {
        return PackedKernels.enabled() && !TrainingMode.isTraining() && !x.hasGradient();
    }

    /** x·Wᵀ of an inference pass, with W's rows cut into one block per core (one block when W is small). */
    private NDArray splitProduct(NDArray x, NDArray w) {
        if (w.hasGradient()) {
            return x.matMul(w.transpose()); // a weight being trained: autograd must see its product
        }
        RowBlocks blocks = rowBlocks;
        if (blocks == null || blocks.weight != w) {
            synchronized (this) { // two passes on one model must not make (and close) each other's views
                blocks = rowBlocks;
                if (blocks == null || blocks.weight != w) {
                    blocks = new RowBlocks(w);
                    RowBlocks old = rowBlocks;
                    rowBlocks = blocks;
                    if (old != null) {
                        old.close(); // views of a weight that was replaced
                    }
                }
            }
        }
        return blocks.multiply(x);
    }

    /** Attaches a LoRA or DoRA adapter under {@code adapterName}, replacing one of the same name. */
    public void attach(String adapterName, LoraWeights lora) {
        if (lora.inFeatures() != inFeatures() || lora.outFeatures() != outFeatures()) {
            throw new IllegalArgumentException(
                    "LoRA adapter '" + adapterName + "' for " + name + " is (" + lora.outFeatures() + ", "
                            + lora.inFeatures() + ") but the layer is (" + outFeatures() + ", " + inFeatures() + ")");
        }
        adapters.put(adapterName, lora);
    }

    /**
     * Attaches a fresh DoRA adapter: A and B as given, the magnitude initialised as PEFT does to the row norms
     * of {@code W + scaling·B A} (of the dequantized weight when quantized).
     *
     * @return the attached adapter; its magnitude is a new F32 array that does not yet require gradients
     */
    public LoraWeights attachDora(String adapterName, NDArray a, NDArray b, double scaling) {
        NDArray magnitude;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            QuantizedWeight q = quantized;
            NDArray w = q != null ? q.dequantize(DataType.FLOAT32) : outByIn(weight.get()); // (out, in)
            magnitude = LoraWeights.initialMagnitude(w, a, b, scaling); // (out)
            NDScope.unregister(magnitude);
        }
        LoraWeights dora = new LoraWeights(a, b, scaling, magnitude);
        attach(adapterName, dora);
        return dora;
    }

    /** Detaches an adapter; returns it (its arrays are the caller's to close), or null. */
    public LoraWeights detach(String adapterName) {
        return adapters.remove(adapterName);
    }

    public LoraWeights adapter(String adapterName) {
        return adapters.get(adapterName);
    }

    /**
     * Folds the adapter into W for good ({@code W += scaling · B A}, or DoRA's
     * {@code W = m / ‖W + scaling·B A‖ · (W + scaling·B A)}) and detaches it. A quantized layer is
     * dequantized first and stays dense afterwards (re-quantizing would lose the small update); its weight
     * returns to the model's parameters in the parameters' type.
     */
    public void merge(String adapterName) {
        LoraWeights lora = adapters.remove(adapterName);
        if (lora == null) {
            throw new IllegalArgumentException("no LoRA adapter '" + adapterName + "' on " + name);
        }
        QuantizedWeight q = quantized;
        if (q != null) {
            NDArray dense;
            try (NDScope scope = new NDScope()) { // frees the dequantization's temporaries
                scope.suppressNotUsedWarning();
                dense = q.dequantize(params.dataType()); // (out, in)
                NDScope.unregister(dense);
            }
            weight.set(dense);
            params.restore(weight);
            quantized = null;
            q.close();
        }
        NDArray merged = lora.mergedWeight(outByIn(weight.get())); // (out, in)
        dropRowBlocks();
        // a Conv1D weight goes back (in, out), copied contiguous (the reshape of the transposed view copies)
        weight.set(fanInFanOut ? merged.transpose().reshape(-1).reshape(inFeatures(), outFeatures()) : merged);
    }

    private synchronized void dropRowBlocks() {
        RowBlocks old = rowBlocks;
        rowBlocks = null;
        if (old != null) {
            old.close();
        }
    }
}
