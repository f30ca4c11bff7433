package dev.osprey.model.load;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.checkpoint.TensorInfo;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.nn.Int4Weight;
import dev.osprey.model.nn.Int8Weight;
import dev.osprey.model.nn.QuantSpec;
import dev.osprey.model.nn.QuantizedWeight;

/**
 * Linear weights a checkpoint stores pre-quantized, as its config.json {@code quantization_config} says. GPTQ
 * and AWQ 4-bit weights load as their own codes ({@link #codes}: an {@link Int4Weight}, never a dense weight;
 * 8-bit GPTQ with one group per row as an {@link Int8Weight}); the rest, and layers whose codes do not fit those
 * forms, are widened to dense weights while loading ({@link #load}: the model then runs, trains adapters and
 * quantizes again like any dense one):
 *
 * <ul>
 * <li>{@code gptq} (AutoGPTQ / GPTQModel): {@code qweight} int32 (in·bits/32, out) packing consecutive
 * input rows in the low bits first, {@code qzeros} int32 (groups, out·bits/32) packing output columns,
 * stored minus one unless {@code checkpoint_format} is {@code gptq_v2}, {@code scales} (groups, out) and
 * {@code g_idx} (in), the group of each input row (any order, for {@code desc_act}); 2, 4 or 8 bits.
 * <li>{@code awq} (AutoAWQ's GEMM layout): {@code qweight} int32 (in, out/8) and {@code qzeros} (groups,
 * out/8) packing output columns in the order 0, 2, 4, 6, 1, 3, 5, 7; {@code scales} (groups, out); 4 bits.
 * <li>{@code fp8} and {@code fbgemm_fp8}: an F8_E4M3 {@code weight} (out, in) times
 * {@code weight_scale_inv} per block (DeepSeek's and Qwen's fine-grained FP8) or {@code weight_scale}
 * per row; activation scales are not needed by a dense product.
 * </ul>
 *
 * Unpacking is a Java loop over the packed integers at load time, never in a forward pass.
 */
final class PrequantizedWeights {

    /**
     * Where config.json says it: at the top, or in a multimodal model's language model config, where lmdeploy's
     * AWQ export of a vision-language model (InternVL's -AWQ ids) writes it, its vision tower left dense.
     */
    private static final List<String> SECTIONS =
            List.of("quantization_config", "llm_config.quantization_config", "text_config.quantization_config");

    private static final Set<String> METHODS = Set.of("gptq", "awq", "fp8", "fbgemm_fp8");
    /** AutoAWQ packs output column {@code 8c + ORDER[k]} into bits {@code 4k..4k+3}. */
    private static final int[] AWQ_ORDER = {0, 2, 4, 6, 1, 3, 5, 7};

    private static final List<String> PACKED_PARTS = List.of(".qweight", ".qzeros", ".scales", ".g_idx", ".bias");
    private static final List<String> SCALE_PARTS =
            List.of(".weight_scale_inv", ".weight_scale", ".input_scale", ".input_scale_ub");

    /** A dense checkpoint: nothing is pre-quantized. */
    static final PrequantizedWeights NONE = new PrequantizedWeights("none", 0, 0, 0, null);

    private final String method;
    private final int bits;
    private final int groupSize;
    private final int zeroOffset;
    private final int[] blockSize;

    private PrequantizedWeights(String method, int bits, int groupSize, int zeroOffset, int[] blockSize) {
        this.method = method;
        this.bits = bits;
        this.groupSize = groupSize;
        this.zeroOffset = zeroOffset;
        this.blockSize = blockSize;
    }

    /**
     * @return the checkpoint's pre-quantization, or {@link #NONE} for a dense checkpoint
     * @throws IllegalArgumentException naming config.json and the method when it is one Osprey cannot read
     */
    static PrequantizedWeights of(HfConfig config) {
        String q = SECTIONS.stream()
                .filter(at -> config.get(at).orElse(null) instanceof Map<?, ?>)
                .findFirst()
                .orElse(null);
        if (q == null) {
            return NONE;
        }
        String method = config.getString(q + ".quant_method").orElse("").toLowerCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            throw new IllegalArgumentException(config.source() + ": " + q + ".quant_method '" + method
                    + "' is not one Osprey can load (supported: awq, fbgemm_fp8, fp8, gptq); bitsandbytes checkpoints "
                    + "must be loaded from their dense original, then quantized with --quant_bits");
        }
        int bits = config.getInt(method.startsWith("fp8") || method.equals("fbgemm_fp8") ? 8 : 4, q + ".bits");
        if ((method.equals("gptq") && 32 % bits != 0) || (method.equals("awq") && bits != 4)) {
            throw new IllegalArgumentException(config.source() + ": " + q + ".bits " + bits + " is not supported for "
                    + method + " (gptq: 2, 4 or 8; awq: 4)");
        }
        int group = config.getInt(-1, q + ".group_size", q + ".q_group_size");
        boolean v2 = config.getString(q + ".checkpoint_format").orElse("gptq").equals("gptq_v2");
        int[] block = config.get(q + ".weight_block_size")
                .filter(List.class::isInstance)
                .map(b -> ((List<?>) b)
                        .stream().mapToInt(x -> ((Number) x).intValue()).toArray())
                .orElse(null);
        return new PrequantizedWeights(method, bits, group, method.equals("gptq") && !v2 ? 1 : 0, block);
    }

    private boolean packed() {
        return method.equals("gptq") || method.equals("awq");
    }

    /** Whether this checkpoint holds {@code weightName} ({@code X.weight}) in quantized form. */
    boolean provides(WeightFiles weights, String weightName) {
        String module = module(weightName);
        if (this == NONE || module == null) {
            return false;
        }
        if (packed()) {
            return weights.contains(module + ".qweight");
        }
        return weights.contains(weightName)
                && weights.info(weightName).dtype().startsWith("F8_")
                && (weights.contains(module + ".weight_scale_inv") || weights.contains(module + ".weight_scale"));
    }

    /** Whether {@code tensorName} is a part of a quantized weight (read through {@link #load}, never alone). */
    boolean isPart(WeightFiles weights, String tensorName) {
        if (this == NONE) {
            return false;
        }
        for (String suffix : packed() ? PACKED_PARTS : SCALE_PARTS) {
            if (tensorName.endsWith(suffix)) {
                String module = tensorName.substring(0, tensorName.length() - suffix.length());
                return !suffix.equals(".bias") || weights.contains(module + ".qweight");
            }
        }
        return false;
    }

    /** The dense (out, in) shape the quantized parts of {@code weightName} stand for. */
    long[] shape(WeightFiles weights, String weightName) {
        String module = module(weightName);
        if (!packed()) {
            return weights.info(weightName).shape();
        }
        long[] q = weights.info(module + ".qweight").shape();
        long[] scales = weights.info(module + ".scales").shape();
        return method.equals("gptq") ? new long[] {scales[1], q[0] * 32 / bits} : new long[] {scales[1], q[0]};
    }

    /**
     * The weight in the checkpoint's own codes, without a dense copy: 4-bit GPTQ and AWQ as {@link Int4Weight}
     * (act-order GPTQ with its input columns reordered so that groups are contiguous), 8-bit GPTQ with one group
     * per row as {@link Int8Weight} when its codes fit int8 exactly. Only when {@code requested} is null or the
     * same format; otherwise, or when the codes do not fit, the weight is widened ({@link #load}).
     *
     * @param requested the storage asked for (--quant_bits), or null
     * @param widened receives "module: reason" when the answer is empty because the layer must be widened
     * @return the quantized weight, or empty to widen
     */
    Optional<QuantizedWeight> codes(
            NDManager manager, WeightFiles weights, String weightName, QuantSpec requested, List<String> widened)
            throws IOException {
        if (!packed()) {
            return Optional.empty(); // FP8: no FP8 kernel here; widened and (with --quant_bits) quantized again
        }
        String module = module(weightName);
        QuantSpec.Method own = bits == 4 ? QuantSpec.Method.INT4 : bits == 8 ? QuantSpec.Method.INT8 : null;
        if (own == null) {
            widened.add(module + ": " + bits + "-bit " + method + " codes have no int4/int8 form here");
            return Optional.empty();
        }
        if (requested != null && requested.method() != own) {
            return Optional.empty(); // widened, then quantized as asked
        }
        long[] shape = shape(weights, weightName);
        int out = Math.toIntExact(shape[0]);
        int in = Math.toIntExact(shape[1]);
        float[] scales = floats(manager, weights, module + ".scales"); // (groups, out)
        int groups = scales.length / out;
        if (groups <= 0 || in % groups != 0 || (in / groups) % 2 != 0) {
            widened.add(module + ": " + groups + " groups of scales do not split its " + in
                    + " input features into even groups");
            return Optional.empty();
        }
        int group = in / groups;
        long[] order = null;
        if (method.equals("gptq") && weights.contains(module + ".g_idx")) {
            int[] gIdx = ints(manager, weights, module + ".g_idx"); // (in)
            String misfit = contiguousGroups(gIdx, groups, group);
            if (misfit != null) {
                widened.add(module + ": " + misfit);
                return Optional.empty();
            }
            order = inputOrder(gIdx, groups, group);
        }
        int[] q = new int[out * in]; // (out, in) in stored column order
        int[] zeros = new int[out * groups]; // (out, groups)
        float[] rowScales = new float[out * groups]; // (out, groups)
        if (method.equals("gptq")) {
            gptqCodes(manager, weights, module, out, in, groups, order, q, zeros);
        } else {
            awqCodes(manager, weights, module, out, in, groups, group, q, zeros);
        }
        for (int g = 0; g < groups; g++) {
            for (int o = 0; o < out; o++) {
                rowScales[o * groups + g] = scales[g * out + o];
            }
        }
        if (own == QuantSpec.Method.INT8) {
            return int8(manager, module, out, in, groups, q, zeros, rowScales, widened);
        }
        return Optional.of(Int4Weight.fromCodes(
                manager, out, in, group, bytes(q), bytes(zeros), rowScales, order == null ? null : order));
    }

    /**
     * Why act-order groups cannot be made contiguous by reordering input columns, or null when they can: every
     * group must hold exactly {@code group} input rows.
     */
    private static String contiguousGroups(int[] gIdx, int groups, int group) {
        int[] count = new int[groups];
        for (int i = 0; i < gIdx.length; i++) {
            int g = gIdx[i];
            if (g < 0 || g >= groups) {
                return "g_idx[" + i + "] = " + g + " is outside its " + groups + " groups of scales";
            }
            count[g]++;
        }
        for (int g = 0; g < groups; g++) {
            if (count[g] != group) {
                return "g_idx puts " + count[g] + " input rows in group " + g + ", not " + group
                        + ", so no reordering of the input makes its groups contiguous";
            }
        }
        return null;
    }

    /** The input rows sorted by group (stable), or null when g_idx already lists them in group order. */
    private static long[] inputOrder(int[] gIdx, int groups, int group) {
        boolean inOrder = true;
        for (int i = 0; i < gIdx.length && inOrder; i++) {
            inOrder = gIdx[i] == i / group;
        }
        if (inOrder) {
            return null;
        }
        int[] next = new int[groups];
        for (int g = 0; g < groups; g++) {
            next[g] = g * group;
        }
        long[] order = new long[gIdx.length];
        for (int i = 0; i < gIdx.length; i++) {
            order[next[gIdx[i]]++] = i;
        }
        return order;
    }

    /** GPTQ's codes into q (out, in) in the order of {@code order} (or as stored) and zeros (out, groups). */
    private void gptqCodes(
            NDManager m,
            WeightFiles weights,
            String module,
            int out,
            int in,
            int groups,
            long[] order,
            int[] q,
            int[] zeros)
            throws IOException {
        int[] qweight = ints(m, weights, module + ".qweight"); // (in·bits/32, out)
        int[] qzeros = ints(m, weights, module + ".qzeros"); // (groups, out·bits/32)
        int perInt = 32 / bits;
        int mask = (1 << bits) - 1;
        int zeroInts = out / perInt;
        for (int j = 0; j < in; j++) {
            int i = order == null ? j : (int) order[j]; // the checkpoint's input row held by column j
            int shift = bits * (i % perInt);
            int row = (i / perInt) * out;
            for (int o = 0; o < out; o++) {
                q[o * in + j] = (qweight[row + o] >>> shift) & mask;
            }
        }
        for (int g = 0; g < groups; g++) {
            for (int o = 0; o < out; o++) {
                zeros[o * groups + g] =
                        ((qzeros[g * zeroInts + o / perInt] >>> (bits * (o % perInt))) & mask) + zeroOffset;
            }
        }
    }

    /** AWQ's codes into q (out, in) and zeros (out, groups). */
    private static void awqCodes(
            NDManager m,
            WeightFiles weights,
            String module,
            int out,
            int in,
            int groups,
            int group,
            int[] q,
            int[] zeros)
            throws IOException {
        int[] qweight = ints(m, weights, module + ".qweight"); // (in, out/8)
        int[] qzeros = ints(m, weights, module + ".qzeros"); // (groups, out/8)
        int packedCols = out / 8;
        int[] nibbleOf = new int[8]; // output column 8c + j sits in nibble nibbleOf[j]
        for (int k = 0; k < 8; k++) {
            nibbleOf[AWQ_ORDER[k]] = k;
        }
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                q[o * in + i] = (qweight[i * packedCols + o / 8] >>> (4 * nibbleOf[o % 8])) & 0xF;
            }
        }
        for (int g = 0; g < groups; g++) {
            for (int o = 0; o < out; o++) {
                zeros[o * groups + g] = (qzeros[g * packedCols + o / 8] >>> (4 * nibbleOf[o % 8])) & 0xF;
            }
        }
    }

    /** 8-bit GPTQ as int8 codes {@code q − z} with the row's scale, when that is exact. */
    private static Optional<QuantizedWeight> int8(
            NDManager manager,
            String module,
            int out,
            int in,
            int groups,
            int[] q,
            int[] zeros,
            float[] scales,
            List<String> widened) {
        if (groups != 1) {
            widened.add(module + ": 8-bit codes in " + groups + " groups per row; the int8 kernel takes one scale per"
                    + " row");
            return Optional.empty();
        }
        byte[] codes = new byte[q.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                int c = q[o * in + i] - zeros[o];
                if (c < Byte.MIN_VALUE || c > Byte.MAX_VALUE) {
                    widened.add(module + ": 8-bit code minus zero point " + c + " (row " + o + ") is outside int8");
                    return Optional.empty();
                }
                codes[o * in + i] = (byte) c;
            }
        }
        return Optional.of(Int8Weight.fromCodes(manager, out, in, codes, scales));
    }

    private static byte[] bytes(int[] values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /** The dense weight (out, in) in {@code type}. */
    NDArray load(NDManager manager, WeightFiles weights, String weightName, DataType type) throws IOException {
        String module = module(weightName);
        long[] shape = shape(weights, weightName);
        int out = Math.toIntExact(shape[0]);
        int in = Math.toIntExact(shape[1]);
        float[] dense = switch (method) {
            case "gptq" -> gptq(manager, weights, module, out, in);
            case "awq" -> awq(manager, weights, module, out, in);
            default -> fp8(manager, weights, module, weightName, out, in);
        };
        NDArray w = manager.create(dense, new Shape(out, in)); // (out, in)
        return type == DataType.FLOAT32 ? w : convert(w, type);
    }

    private float[] gptq(NDManager m, WeightFiles weights, String module, int out, int in) throws IOException {
        int[] qweight = ints(m, weights, module + ".qweight"); // (in·bits/32, out)
        int[] qzeros = ints(m, weights, module + ".qzeros"); // (groups, out·bits/32)
        float[] scales = floats(m, weights, module + ".scales"); // (groups, out)
        int[] gIdx = weights.contains(module + ".g_idx") ? ints(m, weights, module + ".g_idx") : null; // (in)
        int perInt = 32 / bits;
        int mask = (1 << bits) - 1;
        int groups = scales.length / out;
        int zeroInts = out / perInt;
        float[] w = new float[out * in];
        for (int i = 0; i < in; i++) {
            int g = gIdx != null ? gIdx[i] : groupSize > 0 ? i / groupSize : 0;
            checkGroup(module, g, groups);
            int shift = bits * (i % perInt);
            int row = (i / perInt) * out;
            for (int o = 0; o < out; o++) {
                int q = (qweight[row + o] >>> shift) & mask;
                int zero = ((qzeros[g * zeroInts + o / perInt] >>> (bits * (o % perInt))) & mask) + zeroOffset;
                w[o * in + i] = (q - zero) * scales[g * out + o];
            }
        }
        return w;
    }

    private float[] awq(NDManager m, WeightFiles weights, String module, int out, int in) throws IOException {
        int[] qweight = ints(m, weights, module + ".qweight"); // (in, out/8)
        int[] qzeros = ints(m, weights, module + ".qzeros"); // (groups, out/8)
        float[] scales = floats(m, weights, module + ".scales"); // (groups, out)
        int packedCols = out / 8;
        int groups = scales.length / out;
        int[] nibbleOf = new int[8]; // output column 8c + j sits in nibble nibbleOf[j]
        for (int k = 0; k < 8; k++) {
            nibbleOf[AWQ_ORDER[k]] = k;
        }
        float[] w = new float[out * in];
        for (int i = 0; i < in; i++) {
            int g = groupSize > 0 ? i / groupSize : 0;
            checkGroup(module, g, groups);
            for (int o = 0; o < out; o++) {
                int shift = 4 * nibbleOf[o % 8];
                int q = (qweight[i * packedCols + o / 8] >>> shift) & 0xF;
                int zero = (qzeros[g * packedCols + o / 8] >>> shift) & 0xF;
                w[o * in + i] = (q - zero) * scales[g * out + o];
            }
        }
        return w;
    }

    /** FP8 values times their scale: one per block of (out / scale rows) × (in / scale columns) values. */
    private float[] fp8(NDManager m, WeightFiles weights, String module, String weightName, int out, int in)
            throws IOException {
        float[] w = floats(m, weights, weightName); // (out, in), the E4M3 values widened
        String scaleName = weights.contains(module + ".weight_scale_inv")
                ? module + ".weight_scale_inv"
                : module + ".weight_scale";
        long[] scaleShape = weights.info(scaleName).shape();
        float[] scale = floats(m, weights, scaleName);
        int scaleRows = scaleShape.length == 2 ? (int) scaleShape[0] : scaleShape.length == 1 ? (int) scaleShape[0] : 1;
        int scaleCols = scaleShape.length == 2 ? (int) scaleShape[1] : 1;
        // weight_block_size where the config gives it (the last block of a row may be short); else the
        // scale's shape divides the weight evenly: per row (out, 1) or one scale for all
        boolean blocks = blockSize != null && blockSize.length == 2 && scaleShape.length == 2;
        int blockRows = blocks ? blockSize[0] : (out + scaleRows - 1) / scaleRows;
        int blockCols = blocks ? blockSize[1] : (in + scaleCols - 1) / scaleCols;
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                w[o * in + i] *= scale[(o / blockRows) * scaleCols + i / blockCols];
            }
        }
        return w;
    }

    private static void checkGroup(String module, int g, int groups) {
        if (g < 0 || g >= groups) {
            throw new IllegalArgumentException(module + ": group " + g + " of an input row is outside the " + groups
                    + " groups of its scales (g_idx or group_size disagree with the tensors)");
        }
    }

    private static int[] ints(NDManager m, WeightFiles weights, String name) throws IOException {
        TensorInfo info = weights.info(name);
        if (!info.dtype().equals("I32")) {
            throw new IllegalArgumentException(
                    weights.fileOf(name) + ": tensor '" + name + "' must be I32, was " + info.dtype());
        }
        try (NDArray a = weights.load(m, name, null)) {
            return a.toIntArray();
        }
    }

    private static float[] floats(NDManager m, WeightFiles weights, String name) throws IOException {
        try (NDArray a = weights.load(m, name, DataType.FLOAT32)) {
            return a.toFloatArray();
        }
    }

    private static NDArray convert(NDArray w, DataType type) {
        NDArray converted = w.toType(type, false);
        if (converted != w) {
            w.close();
        }
        return converted;
    }

    /** {@code X} of {@code X.weight}, or null for any other name. */
    private static String module(String weightName) {
        return weightName.endsWith(".weight")
                ? weightName.substring(0, weightName.length() - ".weight".length())
                : null;
    }
}
