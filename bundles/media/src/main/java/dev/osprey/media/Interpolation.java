package dev.osprey.media;

/**
 * How an image is resized: the filter and whose arithmetic, because the two libraries Hugging Face's
 * processors use round differently. Both are antialiased (the filter widens when downscaling), and both
 * work on 8-bit samples with fixed-point weights, so each matches its library bit for bit.
 */
public enum Interpolation {
    /** torchvision's {@code resize(antialias=True)} on a uint8 tensor: transformers 5's default processors. */
    TORCH_BICUBIC,
    TORCH_BILINEAR,
    /** PIL's {@code Image.resize}: transformers' PIL backends and qwen-vl-utils' {@code fetch_image}. */
    PIL_BICUBIC,
    PIL_BILINEAR,
    /**
     * torchvision's {@code resize(antialias=True)} with bicubic on a uint8 tensor, as qwen-vl-utils' {@code fetch_video}
     * calls it: torchvision has no uint8 bicubic kernel, so it interpolates in float32 and rounds half to even.
     */
    TORCHVISION_FLOAT_BICUBIC;

    /** The torchvision interpolation for a PIL resample number in a {@code preprocessor_config.json} (2 bilinear, 3 bicubic). */
    public static Interpolation torchForPilResample(int resample, String source) {
        return switch (resample) {
            case 2 -> TORCH_BILINEAR;
            case 3 -> TORCH_BICUBIC;
            default ->
                throw new MediaException(
                        source + ": resample " + resample
                                + " is not supported (2 bilinear and 3 bicubic are; nearest, box, hamming and lanczos are not)");
        };
    }

    public boolean bicubic() {
        return this == TORCH_BICUBIC || this == PIL_BICUBIC || this == TORCHVISION_FLOAT_BICUBIC;
    }

    public boolean pil() {
        return this == PIL_BICUBIC || this == PIL_BILINEAR;
    }
}
