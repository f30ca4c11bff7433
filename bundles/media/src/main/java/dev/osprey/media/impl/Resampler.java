package dev.osprey.media.impl;

import dev.osprey.media.Interpolation;
import dev.osprey.media.RgbImage;

/**
 * Antialiased separable resizing of 8-bit RGB, as PIL's {@code ImagingResample} and PyTorch's uint8
 * {@code _upsample_bicubic2d_aa}/{@code _upsample_bilinear2d_aa} kernels (which torchvision calls) compute
 * it. Written here because no Java imaging library gives those numbers: AWT and imgscalr use other
 * kernels and no antialiasing. Both libraries compute the same filter weights in double (PIL's
 * {@code precompute_coeffs}: support scaled by the downscale factor, weights normalised to sum 1), then
 * round them to fixed point: PIL at 22 bits in 32-bit integers, PyTorch in 16-bit integers at the largest
 * precision the axis's biggest weight allows. The width pass runs first into an 8-bit intermediate, then
 * the height pass; a pass whose size does not change is skipped.
 */
public final class Resampler {

    private Resampler() {}

    public static RgbImage resize(RgbImage image, int width, int height, Interpolation interpolation) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("cannot resize to " + width + "x" + height);
        }
        if (width == image.width() && height == image.height()) {
            return image;
        }
        if (interpolation == Interpolation.TORCHVISION_FLOAT_BICUBIC) {
            return resizeFloat(image, width, height);
        }
        byte[] pixels = image.rgb();
        int w = image.width();
        int h = image.height();
        if (width != w) {
            pixels = pass(pixels, w, h, width, true, axis(w, width, interpolation));
            w = width;
        }
        if (height != h) {
            pixels = pass(pixels, w, h, height, false, axis(h, height, interpolation));
            h = height;
        }
        return new RgbImage(w, h, pixels);
    }

    /** Fixed-point weights of one axis: for each output index, the first input index and its taps. */
    record Axis(int[] first, int[] count, int[] weights, int taps, int precision) {}

    static Axis axis(int in, int out, Interpolation interpolation) {
        boolean bicubic = interpolation.bicubic();
        double scale = (double) in / out;
        double filterScale = Math.max(scale, 1.0);
        double support = (bicubic ? 2.0 : 1.0) * filterScale;
        double invScale = 1.0 / filterScale;
        int taps = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[out];
        int[] count = new int[out];
        double[] weights = new double[out * taps];
        double maxWeight = 0;
        for (int i = 0; i < out; i++) {
            double center = (i + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xsize = Math.min((int) (center + support + 0.5), in) - xmin;
            xsize = Math.max(0, Math.min(xsize, taps)); // PyTorch: "due to precision xsize can be larger by one"
            double total = 0;
            for (int j = 0; j < xsize; j++) {
                double x = (j + xmin - center + 0.5) * invScale;
                double w = bicubic ? (interpolation.pil() ? pilCubic(x) : torchCubic(x)) : triangle(x);
                weights[i * taps + j] = w;
                total += w;
            }
            if (total != 0.0) {
                for (int j = 0; j < xsize; j++) {
                    weights[i * taps + j] /= total;
                    maxWeight = Math.max(maxWeight, weights[i * taps + j]);
                }
            }
            first[i] = xmin;
            count[i] = xsize;
        }
        int precision;
        if (interpolation.pil()) {
            precision = 22; // PIL: 32 - 8 (sample) - 2 (headroom) bits
        } else {
            // PyTorch's _compute_index_ranges_int16_weights: the most bits for which the largest weight fits int16
            precision = 0;
            for (; precision < 22; precision++) {
                int next = (int) (0.5 + maxWeight * (1 << (precision + 1)));
                if (next >= (1 << 15)) {
                    break;
                }
            }
        }
        int[] fixed = new int[weights.length];
        double one = 1 << precision;
        for (int k = 0; k < weights.length; k++) {
            double v = weights[k] * one;
            fixed[k] = v < 0 ? (int) (-0.5 + v) : (int) (0.5 + v);
        }
        return new Axis(first, count, fixed, taps, precision);
    }

    /**
     * torchvision's bicubic resize of a uint8 tensor: PyTorch's float32 antialiased kernel (weights and sums in
     * float, width pass then height pass, no rounding between them), then {@code round_()} (half to even) and a clamp.
     */
    private static RgbImage resizeFloat(RgbImage image, int width, int height) {
        byte[] rgb = image.rgb();
        float[] pixels = new float[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            pixels[i] = rgb[i] & 0xFF;
        }
        int w = image.width();
        int h = image.height();
        if (width != w) {
            pixels = floatPass(pixels, w, h, width, true);
            w = width;
        }
        if (height != h) {
            pixels = floatPass(pixels, w, h, height, false);
            h = height;
        }
        byte[] out = new byte[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            out[i] = clip((int) Math.rint(pixels[i]));
        }
        return new RgbImage(w, h, out);
    }

    /** One float32 pass of PyTorch's antialiased bicubic ({@code _compute_indices_min_size_weights_aa}) along an axis. */
    private static float[] floatPass(float[] src, int w, int h, int outSize, boolean horizontal) {
        int in = horizontal ? w : h;
        int outW = horizontal ? outSize : w;
        int outH = horizontal ? h : outSize;
        float scale = (float) in / outSize;
        float support = scale >= 1.0f ? 2.0f * scale : 2.0f;
        float invScale = scale >= 1.0f ? 1.0f / scale : 1.0f;
        int taps = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[outSize];
        int[] count = new int[outSize];
        float[] weights = new float[outSize * taps];
        for (int i = 0; i < outSize; i++) {
            float center = scale * (i + 0.5f);
            int xmin = Math.max((int) (center - support + 0.5f), 0);
            int xsize = Math.max(0, Math.min(Math.min((int) (center + support + 0.5f), in) - xmin, taps));
            float total = 0f;
            for (int j = 0; j < xsize; j++) {
                float v = (float) torchCubic((j + xmin - center + 0.5f) * invScale);
                weights[i * taps + j] = v;
                total += v;
            }
            for (int j = 0; j < xsize; j++) {
                weights[i * taps + j] = total != 0f ? weights[i * taps + j] / total : 0f;
            }
            first[i] = xmin;
            count[i] = xsize;
        }
        float[] dst = new float[outW * outH * 3];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                int i = horizontal ? x : y;
                float r = 0f;
                float g = 0f;
                float b = 0f;
                for (int j = 0; j < count[i]; j++) {
                    int s = horizontal ? (y * w + first[i] + j) * 3 : ((first[i] + j) * w + x) * 3;
                    float weight = weights[i * taps + j];
                    r += src[s] * weight;
                    g += src[s + 1] * weight;
                    b += src[s + 2] * weight;
                }
                int d = (y * outW + x) * 3;
                dst[d] = r;
                dst[d + 1] = g;
                dst[d + 2] = b;
            }
        }
        return dst;
    }

    /** Keys' cubic with a = -0.5, in PIL's form. */
    private static double pilCubic(double x) {
        double a = -0.5;
        x = Math.abs(x);
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    /** Keys' cubic with a = -0.5, in PyTorch's form (the same function, rounded in another order). */
    private static double torchCubic(double x) {
        double a = -0.5;
        x = Math.abs(x);
        if (x < 1.0) {
            return ((a + 2) * x - (a + 3)) * x * x + 1;
        }
        if (x < 2.0) {
            return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        }
        return 0.0;
    }

    private static double triangle(double x) {
        x = Math.abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    /** One pass along the width ({@code horizontal}) or the height; returns the new (H, W, 3) bytes. */
    private static byte[] pass(byte[] src, int w, int h, int outSize, boolean horizontal, Axis axis) {
        int outW = horizontal ? outSize : w;
        int outH = horizontal ? h : outSize;
        byte[] dst = new byte[outW * outH * 3];
        int half = axis.precision() == 0 ? 0 : 1 << (axis.precision() - 1);
        int shift = axis.precision();
        int[] weights = axis.weights();
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                int i = horizontal ? x : y;
                int start = axis.first()[i];
                int n = axis.count()[i];
                int k = i * axis.taps();
                int r = half;
                int g = half;
                int b = half;
                for (int j = 0; j < n; j++) {
                    int s = horizontal ? (y * w + start + j) * 3 : ((start + j) * w + x) * 3;
                    int weight = weights[k + j];
                    r += (src[s] & 0xFF) * weight;
                    g += (src[s + 1] & 0xFF) * weight;
                    b += (src[s + 2] & 0xFF) * weight;
                }
                int d = (y * outW + x) * 3;
                dst[d] = clip(r >> shift);
                dst[d + 1] = clip(g >> shift);
                dst[d + 2] = clip(b >> shift);
            }
        }
        return dst;
    }

    private static byte clip(int v) {
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }
}
