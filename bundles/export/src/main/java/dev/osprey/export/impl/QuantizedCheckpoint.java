package dev.osprey.export.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.model.load.Folders;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;

/**
 * A quantized Hugging Face folder: config.json with its {@code quantization_config}, one model.safetensors holding
 * each quantized linear's parts in place of its weight ({@link #putGptq}, {@link #putAwq}, {@link #putFp8Blocks},
 * {@link #putFp8Channels}) and every other parameter in {@code --save_dtype}, and the source's tokenizer and
 * generation files. Written atomically (assembled beside the target, renamed into place).
 */
final class QuantizedCheckpoint {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** AutoAWQ packs output column {@code 8c + ORDER[k]} into bits {@code 4k..4k+3}. */
    static final int[] AWQ_ORDER = {0, 2, 4, 6, 1, 3, 5, 7};

    private final SafetensorsWriter tensors = new SafetensorsWriter();
    private final Map<String, Boolean> replaced = new LinkedHashMap<>();

    /**
     * AutoGPTQ's layout: {@code qweight} (in·bits/32, out) packing consecutive input rows low bits first, {@code
     * qzeros} (groups, out·bits/32) packing output columns, each zero stored minus one ({@code checkpoint_format
     * gptq}), {@code scales} (groups, out) F16, {@code g_idx} (in).
     */
    void putGptq(String module, GroupCodes q) {
        int per = 32 / q.bits();
        int out = q.out();
        int[] qweight = new int[q.in() / per * out];
        for (int i = 0; i < q.in(); i++) {
            int shift = q.bits() * (i % per);
            for (int o = 0; o < out; o++) {
                qweight[(i / per) * out + o] |= q.code(i * out + o) << shift;
            }
        }
        int mask = (1 << q.bits()) - 1;
        int[] qzeros = new int[q.groups() * out / per];
        for (int g = 0; g < q.groups(); g++) {
            for (int o = 0; o < out; o++) {
                qzeros[g * (out / per) + o / per] |= ((q.zeros()[g * out + o] - 1) & mask) << (q.bits() * (o % per));
            }
        }
        tensors.putInts(module + ".qweight", new long[] {q.in() / per, out}, qweight);
        tensors.putInts(module + ".qzeros", new long[] {q.groups(), out / per}, qzeros);
        tensors.put(module + ".scales", "F16", new long[] {q.groups(), out}, f16(q.scales()));
        tensors.putInts(module + ".g_idx", new long[] {q.in()}, q.gIdx());
        replaced.put(module + ".weight", true);
    }

    /**
     * AutoAWQ's GEMM layout: {@code qweight} (in, out/8) and {@code qzeros} (groups, out/8) packing output columns
     * in AWQ's order, {@code scales} (groups, out) F16.
     */
    void putAwq(String module, GroupCodes q) {
        int out = q.out();
        int cols = out / 8;
        int[] qweight = new int[q.in() * cols];
        int[] qzeros = new int[q.groups() * cols];
        for (int c = 0; c < cols; c++) {
            for (int k = 0; k < 8; k++) {
                int o = 8 * c + AWQ_ORDER[k];
                for (int i = 0; i < q.in(); i++) {
                    qweight[i * cols + c] |= q.code(i * out + o) << (4 * k);
                }
                for (int g = 0; g < q.groups(); g++) {
                    qzeros[g * cols + c] |= q.zeros()[g * out + o] << (4 * k);
                }
            }
        }
        tensors.putInts(module + ".qweight", new long[] {q.in(), cols}, qweight);
        tensors.putInts(module + ".qzeros", new long[] {q.groups(), cols}, qzeros);
        tensors.put(module + ".scales", "F16", new long[] {q.groups(), out}, f16(q.scales()));
        replaced.put(module + ".weight", true);
    }

    /** Fine-grained FP8: the E4M3 {@code weight} (out, in) and its F32 {@code weight_scale_inv} per block. */
    void putFp8Blocks(String module, Fp8Weight w) {
        tensors.put(module + ".weight", "F8_E4M3", new long[] {w.out(), w.in()}, w.codes());
        tensors.putFloats(module + ".weight_scale_inv", new long[] {w.scaleRows(), w.scaleCols()}, w.scales());
        replaced.put(module + ".weight", true);
    }

    /**
     * FBGEMM's per-channel FP8: the E4M3 {@code weight} (out, in), its F32 {@code weight_scale} (out, 1) and the
     * activation bound {@code input_scale_ub} (1).
     */
    void putFp8Channels(String module, Fp8Weight w, float activationScaleUb) {
        tensors.put(module + ".weight", "F8_E4M3", new long[] {w.out(), w.in()}, w.codes());
        tensors.putFloats(module + ".weight_scale", new long[] {w.out(), 1}, w.scales());
        tensors.putFloats(module + ".input_scale_ub", new long[] {1}, new float[] {activationScaleUb});
        replaced.put(module + ".weight", true);
    }

    /**
     * Writes the folder: the model's other parameters in {@code saveDtype} (F32, F16 or BF16), config.json with
     * {@code quantizationConfig}, and the source folder's tokenizer files.
     */
    void write(Path target, HfModel hf, Map<String, Object> quantizationConfig, String saveDtype) throws IOException {
        for (Map.Entry<String, NDArray> e : hf.model().parameters().entrySet()) {
            String name = e.getKey();
            if (replaced.containsKey(name)) {
                continue;
            }
            NDArray a = e.getValue();
            if (!a.getDataType().isFloating()) {
                throw new IllegalArgumentException("parameter " + name + " has type " + a.getDataType()
                        + "; a quantized export writes floating-point parameters only");
            }
            tensors.put(name, saveDtype, a.getShape().getShape(), floats(a, saveDtype));
        }
        Map<String, Object> config = new LinkedHashMap<>(hf.model().config().asMap());
        config.put(
                "torch_dtype",
                switch (saveDtype) {
                    case "F16" -> "float16";
                    case "BF16" -> "bfloat16";
                    default -> "float32";
                });
        config.put("quantization_config", quantizationConfig);
        Map<String, byte[]> extra = LoraMerge.tokenizerFiles(hf.folder());
        Folders.writeAtomically(target, dir -> {
            Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config));
            tensors.write(dir.resolve("model.safetensors"));
            for (Map.Entry<String, byte[]> e : extra.entrySet()) {
                Files.write(dir.resolve(e.getKey()), e.getValue());
            }
        });
    }

    /** The array's values as little-endian {@code dtype} bytes. */
    private static byte[] floats(NDArray a, String dtype) {
        return switch (dtype) {
            case "F32" -> a.toType(DataType.FLOAT32, false).toByteArray();
            case "F16" -> f16(a.toType(DataType.FLOAT32, false).toFloatArray());
            case "BF16" -> bf16(a.toType(DataType.FLOAT32, false).toFloatArray());
            default -> throw new IllegalArgumentException("--save_dtype must be F32, F16 or BF16, was " + dtype);
        };
    }

    static byte[] f16(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putShort(Half.fromFloat(v));
        }
        return b.array();
    }

    private static byte[] bf16(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            int bits = Float.floatToRawIntBits(v);
            int rounded = Float.isNaN(v) ? (bits >>> 16) | 0x40 : (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
            b.putShort((short) rounded);
        }
        return b.array();
    }
}
