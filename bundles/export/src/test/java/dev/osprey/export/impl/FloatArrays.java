package dev.osprey.export.impl;

/** Comparisons of weight arrays for the quantization tests. */
final class FloatArrays {

    private FloatArrays() {}

    /** ‖a − reference‖ / ‖reference‖, in double. */
    static double relativeError(float[] a, float[] reference) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - reference[i]) * (double) (a[i] - reference[i]);
            norm += reference[i] * (double) reference[i];
        }
        return Math.sqrt(diff / norm);
    }
}
