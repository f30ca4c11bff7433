package dev.osprey.media.impl;

/**
 * Rescale and normalise 8-bit samples in float32 as torchvision's processors do: with both on, transformers
 * fuses them ({@code mean / rescale}, {@code std / rescale} in float32, then {@code (x - mean') / std'}),
 * which rounds differently from rescaling first; so does this table.
 */
public final class Normalizer {

    private final float[][] table = new float[3][256];

    public Normalizer(boolean doRescale, double rescaleFactor, boolean doNormalize, double[] mean, double[] std) {
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                float x = v;
                float out;
                if (doNormalize) {
                    float m = (float) mean[c];
                    float s = (float) std[c];
                    if (doRescale) {
                        float inverse = (float) (1.0 / rescaleFactor);
                        m = m * inverse;
                        s = s * inverse;
                    }
                    out = (x - m) / s;
                } else if (doRescale) {
                    out = x * (float) rescaleFactor;
                } else {
                    out = x;
                }
                table[c][v] = out;
            }
        }
    }

    public float value(int channel, int sample) {
        return table[channel][sample];
    }
}
