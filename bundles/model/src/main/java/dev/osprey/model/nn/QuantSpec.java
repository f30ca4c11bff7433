package dev.osprey.model.nn;

import java.util.Locale;

/**
 * How a frozen linear weight is stored in fewer bits (the base weights of QLoRA).
 *
 * <ul>
 * <li>{@link Method#NF4}: bitsandbytes' 4-bit NormalFloat: the weight flattened into blocks of
 * {@code blockSize} (64) values, each block scaled by its absmax and every value replaced by the index of
 * the nearest of 16 NF4 levels. The absmax is kept in F32 (bitsandbytes' double quantization of the
 * absmax is not done).</li>
 * <li>{@link Method#INT4}: GPTQ/AWQ-style asymmetric int4, groups of {@code blockSize} (128) values along
 * the input dimension of each output row, {@code w ≈ (q − z) · s} with an integer zero point z.</li>
 * <li>{@link Method#INT8}: one absmax scale per output row, {@code w ≈ q · absmax / 127}; this is LLM.int8's
 * weight format without its outlier decomposition (activations stay in the compute type).</li>
 * </ul>
 *
 * @param method the storage format
 * @param blockSize values per scale: NF4 block or INT4 group; ignored by INT8 (per row)
 */
public record QuantSpec(Method method, int blockSize) {

    /** A storage format for frozen weights. */
    public enum Method {
        NF4(4),
        INT4(4),
        INT8(8);

        private final int bits;

        Method(int bits) {
            this.bits = bits;
        }

        public int bits() {
            return bits;
        }
    }

    public QuantSpec {
        if (method == null) {
            throw new IllegalArgumentException("quantization method is required");
        }
        if (method != Method.INT8 && (blockSize <= 0 || blockSize % 2 != 0)) {
            throw new IllegalArgumentException(
                    method + " block size must be positive and even (two 4-bit codes share a byte), was " + blockSize);
        }
    }

    /** bitsandbytes' default: NF4 in blocks of 64. */
    public static QuantSpec nf4() {
        return new QuantSpec(Method.NF4, 64);
    }

    /** Asymmetric int4 in groups of 128 along the input dimension, as GPTQ and AWQ store it. */
    public static QuantSpec int4() {
        return new QuantSpec(Method.INT4, 128);
    }

    /** Per-row absmax int8. */
    public static QuantSpec int8() {
        return new QuantSpec(Method.INT8, 0);
    }

    /**
     * The format for {@code --quant_bits} and, for 4 bits, a method name.
     *
     * @param bits 4 or 8
     * @param method4Bit {@code nf4} (the default when null or empty) or {@code int4}; ignored for 8 bits
     * @throws IllegalArgumentException naming the option at fault
     */
    public static QuantSpec of(int bits, String method4Bit) {
        if (bits == 8) {
            return int8();
        }
        if (bits != 4) {
            throw new IllegalArgumentException("--quant_bits must be 4 or 8, was " + bits);
        }
        String m = method4Bit == null || method4Bit.isBlank() ? "nf4" : method4Bit.toLowerCase(Locale.ROOT);
        return switch (m) {
            case "nf4" -> nf4();
            case "int4" -> int4();
            default ->
                throw new IllegalArgumentException(
                        "4-bit quantization method must be nf4 or int4, was '" + method4Bit + "'");
        };
    }

    /** E.g. {@code nf4/64}, {@code int8}. */
    @Override
    public String toString() {
        return method.name().toLowerCase(Locale.ROOT) + (method == Method.INT8 ? "" : "/" + blockSize);
    }
}
