package dev.osprey.export.impl;

import java.util.Arrays;
import java.util.Locale;

/**
 * What {@code --gguf_type} asks for: one tensor type for every matrix ({@code f32}, {@code f16}, {@code q8_0}, as
 * {@code convert_hf_to_gguf.py --outtype} names them) or one of llama.cpp's k-quant mixes ({@code q4_k_m}, {@code
 * q5_k_m}, {@code q6_k}, as {@code llama-quantize} names them), with llama.cpp's {@code general.file_type}. The mixes
 * choose each tensor's type as llama-quantize does without an importance matrix: the output head (or the tied
 * embedding) in Q6_K, {@code attn_v} and {@code ffn_down} of the first and last eighth of the layers and of every
 * third layer between in Q6_K for the {@code _m} mixes, and a 32-block type where rows do not fill 256-blocks.
 */
enum GgufFileType {
    F32(0, 32, GgufType.F32, false),
    F16(1, 16, GgufType.F16, false),
    Q8_0(7, 8, GgufType.Q8_0, false),
    Q4_K_M(15, 4, GgufType.Q4_K, true),
    Q5_K_M(17, 5, GgufType.Q5_K, true),
    Q6_K(18, 6, GgufType.Q6_K, false);

    /** Where a tensor sits in the model, which is what the k-quant mixes choose by. */
    enum Role {
        /** 1-D: norms, biases. Always F32, as llama.cpp's converter and quantizer keep them. */
        VECTOR,
        /** {@code output.weight}, or {@code token_embd.weight} when the model ties it to the output. */
        OUTPUT,
        ATTN_V,
        FFN_DOWN,
        MATRIX
    }

    /** llama_ftype: the file's "mostly" type. */
    final int fileType;

    /** Bits per weight of most matrices, as {@code --quant_bits} names the file type. */
    final int bits;

    /** The type of most matrices. */
    final GgufType base;

    /** A {@code _m} mix: more bits for attn_v and ffn_down in some layers. */
    private final boolean moreBitsInSomeLayers;

    GgufFileType(int fileType, int bits, GgufType base, boolean moreBitsInSomeLayers) {
        this.fileType = fileType;
        this.bits = bits;
        this.base = base;
        this.moreBitsInSomeLayers = moreBitsInSomeLayers;
    }

    /** The lower-case name used on the command line and in file names. */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException naming the choices
     */
    static GgufFileType parse(String name) {
        for (GgufFileType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("--gguf_type " + name + " is not supported; choose one of "
                + Arrays.stream(values()).map(GgufFileType::id).toList());
    }

    boolean isKQuantMix() {
        return base.blockSize == KQuants.QK_K;
    }

    /**
     * The type of a tensor with rows of {@code rowLength} values; {@code layer} of {@code layers} for per-layer
     * tensors.
     */
    GgufType tensorType(Role role, int layer, int layers, long rowLength) {
        if (role == Role.VECTOR) {
            return GgufType.F32;
        }
        if (!isKQuantMix()) {
            return base.fits(rowLength) ? base : GgufType.F16;
        }
        GgufType type = switch (role) {
            case OUTPUT -> base.fits(rowLength) ? GgufType.Q6_K : GgufType.Q8_0;
            case ATTN_V, FFN_DOWN -> moreBitsInSomeLayers && moreBits(layer, layers) ? GgufType.Q6_K : base;
            default -> base;
        };
        if (type.fits(rowLength)) {
            return type;
        }
        GgufType fallback = switch (type) {
            case Q4_K -> GgufType.Q5_0;
            case Q5_K -> GgufType.Q5_1;
            default -> GgufType.Q8_0;
        };
        return fallback.fits(rowLength) ? fallback : GgufType.F16;
    }

    /** llama.cpp's {@code use_more_bits}: the first and last eighth of the layers, and every third one between. */
    static boolean moreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }
}
