package dev.osprey.export.impl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.osprey.api.job.Arguments;

/**
 * The arguments of a quantized export, by ms-swift / AutoGPTQ name, checked.
 *
 * @param bits {@code --quant_bits}: 4 or 8 (GPTQ), 4 (AWQ), 8 (FP8)
 * @param groupSize {@code --group_size}: input rows per scale (GPTQ, AWQ; -1: per channel), or the FP8 block
 *     edge; default 128
 * @param samples {@code --quant_n_samples}: calibration samples (default 256)
 * @param maxLength {@code --max_length}: tokens per calibration sample (default 2048)
 * @param descAct {@code --desc_act}: GPTQ's act-order (default true)
 * @param symmetric {@code --sym}: GPTQ's symmetric grid (default true)
 * @param damp {@code --damp_percent}: GPTQ's Hessian damping (default 0.01)
 * @param awqGrid {@code --awq_grid}: AWQ's alpha steps (default 20)
 * @param fp8Scheme {@code --fp8_scheme}: {@code block} (default) or {@code channel}
 * @param saveDtype {@code --save_dtype}: the parameters left dense (F32, F16, BF16)
 */
record QuantSettings(
        String method,
        int bits,
        int groupSize,
        int samples,
        int maxLength,
        boolean descAct,
        boolean symmetric,
        double damp,
        int awqGrid,
        String fp8Scheme,
        String saveDtype) {

    static final String GPTQ = "gptq";
    static final String AWQ = "awq";
    static final String FP8 = "fp8";

    static QuantSettings of(String method, Arguments args) {
        int bits = args.getInt("quant_bits", method.equals(FP8) ? 8 : 4);
        List<Integer> allowed = switch (method) {
            case GPTQ -> List.of(4, 8);
            case AWQ -> List.of(4);
            default -> List.of(8);
        };
        if (!allowed.contains(bits)) {
            throw new IllegalArgumentException(
                    "--quant_method " + method + " takes --quant_bits " + allowed + ", not " + bits);
        }
        int group = args.getInt("group_size", 128);
        if (group == 0 || group < -1 || (method.equals(FP8) && group < 1) || (method.equals(AWQ) && group < 1)) {
            throw new IllegalArgumentException("--group_size must be positive"
                    + (method.equals(GPTQ) ? " or -1 (one group per output channel)" : "") + ", was " + group);
        }
        int samples = args.getInt("quant_n_samples", 256);
        int maxLength = args.getInt("max_length", 2048);
        if (samples < 1 || maxLength < 2) {
            throw new IllegalArgumentException("--quant_n_samples must be positive and --max_length at least 2; were "
                    + samples + ", " + maxLength);
        }
        double damp = args.getDouble("damp_percent", 0.01);
        if (!(damp > 0 && damp < 1)) {
            throw new IllegalArgumentException("--damp_percent must be in (0, 1), was " + damp);
        }
        int grid = args.getInt("awq_grid", 20);
        if (grid < 1) {
            throw new IllegalArgumentException("--awq_grid must be positive, was " + grid);
        }
        String scheme = args.getString("fp8_scheme", "block");
        if (!scheme.equals("block") && !scheme.equals("channel")) {
            throw new IllegalArgumentException("--fp8_scheme must be block or channel, was '" + scheme + "'");
        }
        String dtype = args.getString("save_dtype", "F32");
        if (!List.of("F32", "F16", "BF16").contains(dtype)) {
            throw new IllegalArgumentException("--save_dtype must be F32, F16 or BF16, was " + dtype);
        }
        return new QuantSettings(
                method,
                bits,
                group,
                samples,
                maxLength,
                args.getBoolean("desc_act", true),
                args.getBoolean("sym", true),
                damp,
                grid,
                scheme,
                dtype);
    }

    /** config.json's {@code quantization_config}, as AutoGPTQ / GPTQModel, AutoAWQ and transformers write it. */
    Map<String, Object> quantizationConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        switch (method) {
            case GPTQ -> {
                c.put("quant_method", GPTQ);
                c.put("bits", bits);
                c.put("group_size", groupSize);
                c.put("desc_act", descAct);
                c.put("sym", symmetric);
                c.put("damp_percent", damp);
                c.put("static_groups", false);
                c.put("true_sequential", true);
                c.put("lm_head", false);
                c.put("checkpoint_format", "gptq");
                c.put("meta", Map.of("quantizer", List.of("osprey")));
            }
            case AWQ -> {
                c.put("quant_method", AWQ);
                c.put("bits", bits);
                c.put("group_size", groupSize);
                c.put("zero_point", true);
                c.put("version", "gemm");
                c.put("modules_to_not_convert", null);
            }
            default -> {
                if (fp8Scheme.equals("block")) {
                    c.put("quant_method", FP8);
                    c.put("activation_scheme", "dynamic");
                    c.put("fmt", "e4m3");
                    c.put("weight_block_size", List.of(groupSize, groupSize));
                } else {
                    c.put("quant_method", "fbgemm_fp8");
                    c.put("activation_scale_ub", Fp8Exporter.ACTIVATION_SCALE_UB);
                    c.put("modules_to_not_convert", List.of("lm_head"));
                }
            }
        }
        return c;
    }
}
