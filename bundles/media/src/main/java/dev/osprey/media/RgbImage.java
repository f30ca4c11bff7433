package dev.osprey.media;

import java.util.Objects;

/**
 * An 8-bit RGB picture, rows top to bottom, pixels interleaved: {@code rgb[(y * width + x) * 3 + c]}, as
 * PIL's {@code np.asarray(image.convert("RGB"))} holds it (H, W, 3).
 */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        Objects.requireNonNull(rgb, "rgb");
        if (width <= 0 || height <= 0 || rgb.length != width * height * 3) {
            throw new IllegalArgumentException("an RGB image of " + width + "x" + height + " needs "
                    + (width * height * 3) + " bytes, got " + rgb.length);
        }
    }

    /** The sample of channel {@code c} at ({@code x}, {@code y}), 0..255. */
    public int sample(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }
}
