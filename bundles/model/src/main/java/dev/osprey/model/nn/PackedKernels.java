package dev.osprey.model.nn;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's weight-only CPU kernels ({@code aten::_weight_int8pack_mm}, {@code _weight_int4pack_mm_for_cpu}),
 * which multiply by int8 or int4 codes without ever making the dense weight. DJL cannot call an aten operator
 * by name, so they are reached through a parameterless TorchScript module, {@code packed_kernels.pt} (made by
 * {@code tools/int8mm/make_packed_kernels.py}), loaded once per JVM; its methods compute in BF16, the only
 * activation type PyTorch 2.7.1 vectorizes them for on x86, and return x's own type.
 *
 * <p>{@code -Dosprey.packed_kernels=false} switches them off: quantized layers then dequantize their weight in
 * every forward pass, as training does.
 */
public final class PackedKernels {

    private static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("osprey.packed_kernels", "true"));
    private static final String RESOURCE = "packed_kernels.pt";

    private static volatile PtSymbolBlock module;

    private PackedKernels() {}

    /** Whether inference passes multiply int8 and packed int4 weights by their codes ({@code -Dosprey.packed_kernels}). */
    public static boolean enabled() {
        return ENABLED;
    }

    /**
     * x·Wᵀ for W = codes · scales (one scale per output row).
     *
     * @param x (..., in) F32 or F16, no gradient
     * @param codes (out, in) int8
     * @param scales out values, F32
     * @return (..., out) in x's type
     */
    public static NDArray int8(NDArray x, NDArray codes, NDArray scales) {
        return run("int8_mm", x, codes, scales);
    }

    /**
     * Packs int4 codes into the layout of {@link #int4}.
     *
     * @param codes (out, in) INT32, each 0..15
     * @return (out, in / 2) UINT8
     */
    public static NDArray int4Pack(NDArray codes) {
        return run("int4_pack", codes);
    }

    /**
     * x·Wᵀ for int4 codes q in groups along the input dimension, {@code w = (q − 8) · scale + zero} per group.
     *
     * @param x (..., in) F32 or F16, no gradient
     * @param packed (out, in / 2) from {@link #int4Pack}
     * @param scaleAndZero (in / group, out, 2) F32: each group's scale and zero
     * @return (..., out) in x's type
     */
    public static NDArray int4(NDArray x, NDArray packed, NDArray scaleAndZero) {
        return run("int4_mm", x, packed, scaleAndZero);
    }

    private static NDArray run(String method, NDArray x, NDArray... operands) {
        PtSymbolBlock kernels = module(x.getManager());
        IValue[] inputs = new IValue[operands.length + 1];
        IValue output = null;
        try {
            inputs[0] = IValue.from((PtNDArray) x);
            for (int i = 0; i < operands.length; i++) {
                inputs[i + 1] = IValue.from((PtNDArray) operands[i]);
            }
            output = IValueUtils.runMethod(kernels, method, inputs);
            return output.toTensor((PtNDManager) x.getManager());
        } finally {
            for (IValue v : inputs) {
                if (v != null) {
                    v.close();
                }
            }
            if (output != null) {
                output.close();
            }
        }
    }

    /** The module, loaded on first use into a manager of its own that lives as long as the JVM. */
    private static PtSymbolBlock module(NDManager anyManager) {
        PtSymbolBlock m = module;
        if (m == null) {
            synchronized (PackedKernels.class) {
                m = module;
                if (m == null) {
                    m = load(anyManager);
                    module = m;
                }
            }
        }
        return m;
    }

    private static PtSymbolBlock load(NDManager anyManager) {
        PtNDManager owner = (PtNDManager) anyManager.getEngine().newBaseManager();
        Path file = null;
        // libtorch reads a module from a file; the resource is copied to a temporary one for the load
        try (InputStream in = PackedKernels.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(
                        "resource " + RESOURCE + " is missing from bundle dev.osprey.model (see tools/int8mm)");
            }
            file = Files.createTempFile("osprey-packed-kernels", ".pt");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return JniUtils.loadModule(owner, file, false, new String[0], new String[0], false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the packed-weight kernels " + RESOURCE, e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a few kB left in the temporary folder
                }
            }
        }
    }
}
