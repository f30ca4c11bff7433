package dev.osprey.media.impl;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

import dev.osprey.media.RgbImage;

/**
 * Decoded pictures to 8-bit RGB as PIL's {@code convert("RGB")} makes them (transformers' {@code convert_rgb}
 * and ms-swift's loader both call it): alpha is dropped, not composited (the colour under a transparent
 * pixel is kept); gray is repeated in the three channels; a palette maps to its colours; 16-bit samples
 * keep their high byte; CMYK uses PIL's formula {@code (255 - k) - c (255 - k) / 255}, not a colour profile.
 * The raster's samples are read directly: AWT's {@code getRGB} would run gray through a linear-to-sRGB
 * conversion.
 */
public final class RgbConversion {

    private RgbConversion() {}

    public static RgbImage of(BufferedImage image) {
        ColorModel model = image.getColorModel();
        Raster raster = image.getRaster();
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] rgb = new byte[w * h * 3];
        if (model instanceof IndexColorModel palette) {
            int[] index = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int p = 0; p < index.length; p++) {
                rgb[p * 3] = (byte) palette.getRed(index[p]);
                rgb[p * 3 + 1] = (byte) palette.getGreen(index[p]);
                rgb[p * 3 + 2] = (byte) palette.getBlue(index[p]);
            }
            return new RgbImage(w, h, rgb);
        }
        int space = model.getColorSpace().getType();
        int bits = model.getComponentSize(0);
        int shift = Math.max(0, bits - 8);
        if (space == ColorSpace.TYPE_GRAY) {
            int[] gray = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int p = 0; p < gray.length; p++) {
                byte v = (byte) (gray[p] >> shift);
                rgb[p * 3] = v;
                rgb[p * 3 + 1] = v;
                rgb[p * 3 + 2] = v;
            }
            return new RgbImage(w, h, rgb);
        }
        if (space == ColorSpace.TYPE_RGB && raster.getNumBands() >= 3) {
            for (int c = 0; c < 3; c++) {
                int[] band = raster.getSamples(0, 0, w, h, c, (int[]) null);
                for (int p = 0; p < band.length; p++) {
                    rgb[p * 3 + c] = (byte) (band[p] >> shift);
                }
            }
            return new RgbImage(w, h, rgb);
        }
        if (space == ColorSpace.TYPE_CMYK && raster.getNumBands() == 4) {
            return fromCmyk(raster, false);
        }
        // anything else (e.g. a colour space with an embedded profile): let AWT convert to sRGB
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        for (int p = 0; p < argb.length; p++) {
            rgb[p * 3] = (byte) (argb[p] >> 16);
            rgb[p * 3 + 1] = (byte) (argb[p] >> 8);
            rgb[p * 3 + 2] = (byte) argb[p];
        }
        return new RgbImage(w, h, rgb);
    }

    /**
     * CMYK samples to RGB with PIL's {@code cmyk2rgb}; {@code inverted} for Adobe's inverted CMYK JPEGs
     * (PIL's raw mode {@code CMYK;I}).
     */
    public static RgbImage fromCmyk(Raster raster, boolean inverted) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] rgb = new byte[w * h * 3];
        int[][] bands = new int[4][];
        for (int b = 0; b < 4; b++) {
            bands[b] = raster.getSamples(raster.getMinX(), raster.getMinY(), w, h, b, (int[]) null);
        }
        for (int p = 0; p < w * h; p++) {
            int k = sample(bands[3][p], inverted);
            int nk = 255 - k;
            for (int c = 0; c < 3; c++) {
                int tmp = sample(bands[c][p], inverted) * nk + 128;
                int v = nk - (((tmp >> 8) + tmp) >> 8);
                rgb[p * 3 + c] = (byte) Math.max(0, Math.min(255, v));
            }
        }
        return new RgbImage(w, h, rgb);
    }

    private static int sample(int v, boolean inverted) {
        return inverted ? 255 - (v & 0xFF) : v & 0xFF;
    }
}
