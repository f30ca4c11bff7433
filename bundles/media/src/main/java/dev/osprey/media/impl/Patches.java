package dev.osprey.media.impl;

import java.util.List;

import dev.osprey.media.RgbImage;

/**
 * Qwen2-VL's patch layout: frames (all of one size) grouped by {@code temporal} frames, each group cut into
 * {@code patch}×{@code patch} squares, the squares ordered by merge window, one row per square holding
 * (C, T, P, P) values: transformers' {@code view(gt, T, C, gh/m, m, P, gw/m, m, P)} then
 * {@code permute(gt, gh/m, gw/m, m, m, C, T, P, P)}.
 */
public final class Patches {

    private Patches() {}

    /** Writes the rows of {@code frames} (a multiple of {@code temporal}) into {@code out} from {@code offset}. */
    public static int write(
            List<RgbImage> frames, int temporal, int patch, int merge, Normalizer norm, float[] out, int offset) {
        int width = frames.get(0).width();
        int height = frames.get(0).height();
        int gh = height / patch;
        int gw = width / patch;
        int o = offset;
        for (int g = 0; g < frames.size() / temporal; g++) {
            for (int bh = 0; bh < gh / merge; bh++) {
                for (int bw = 0; bw < gw / merge; bw++) {
                    for (int mh = 0; mh < merge; mh++) {
                        for (int mw = 0; mw < merge; mw++) {
                            int y0 = (bh * merge + mh) * patch;
                            int x0 = (bw * merge + mw) * patch;
                            for (int c = 0; c < 3; c++) { // (C, T, P, P) per row
                                for (int t = 0; t < temporal; t++) {
                                    byte[] rgb = frames.get(g * temporal + t).rgb();
                                    for (int py = 0; py < patch; py++) {
                                        int row = ((y0 + py) * width + x0) * 3 + c;
                                        for (int px = 0; px < patch; px++) {
                                            out[o++] = norm.value(c, rgb[row + px * 3] & 0xFF);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return o - offset;
    }

    /** (3, H, W) planes of one image into {@code out} from {@code offset}. */
    public static void writePlanes(RgbImage image, Normalizer norm, float[] out, int offset) {
        int n = image.width() * image.height();
        byte[] rgb = image.rgb();
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < n; p++) {
                out[offset + c * n + p] = norm.value(c, rgb[p * 3 + c] & 0xFF);
            }
        }
    }
}
