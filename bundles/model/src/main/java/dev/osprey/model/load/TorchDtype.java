package dev.osprey.model.load;

import java.util.Locale;

import ai.djl.ndarray.types.DataType;

/** {@code --torch_dtype} as the type of the loaded parameters. */
public final class TorchDtype {

    private TorchDtype() {}

    /** float32, or float16; bfloat16 checkpoints are widened to float32 (BF16 arrays are unusable on DJL's CPU engine). */
    public static DataType of(String torchDtype) {
        return switch (torchDtype.toLowerCase(Locale.ROOT)) {
            case "float32", "fp32", "auto", "bfloat16", "bf16" -> DataType.FLOAT32;
            case "float16", "fp16", "half" -> DataType.FLOAT16;
            default ->
                throw new IllegalArgumentException(
                        "--torch_dtype must be float32 or float16, was '" + torchDtype + "'");
        };
    }
}
