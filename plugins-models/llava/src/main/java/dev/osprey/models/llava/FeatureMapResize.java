package dev.osprey.models.llava;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * torch's {@code interpolate(mode="bilinear", align_corners=False)} of a feature map to a given size, as
 * LLaVA-OneVision shrinks an image's packed features past {@code anyres_max_N}: separable, so two products with
 * (out, in) weight matrices computed here (each output row or column two neighbours, at torch's source index
 * {@code (i + 0.5) · in / out - 0.5}, clamped at 0), which keeps autograd's path to the features.
 */
final class FeatureMapResize {

    private FeatureMapResize() {}

    /**
     * @param map (rows, columns, H)
     * @return (outRows, outColumns, H)
     */
    static NDArray bilinear(NDArray map, int outRows, int outColumns) {
        Shape shape = map.getShape();
        long rows = shape.get(0);
        long columns = shape.get(1);
        long hidden = shape.get(2);
        NDManager m = map.getManager();
        NDArray byRow = weights(m, (int) rows, outRows).toType(map.getDataType(), false); // (outRows, rows)
        NDArray byColumn = weights(m, (int) columns, outColumns).toType(map.getDataType(), false); // (outC, columns)
        NDArray tall = byRow.matMul(map.reshape(rows, columns * hidden)) // (outRows, columns·H)
                .reshape(outRows, columns, hidden)
                .transpose(1, 0, 2) // (columns, outRows, H)
                .reshape(columns, outRows * hidden); // (columns, outRows·H)
        return byColumn.matMul(tall) // (outColumns, outRows·H)
                .reshape(outColumns, outRows, hidden)
                .transpose(1, 0, 2); // (outRows, outColumns, H)
    }

    /** (out, in): each output's two neighbours and their weights, as torch's upsample_bilinear2d picks them. */
    private static NDArray weights(NDManager m, int in, int out) {
        float scale = (float) in / out; // torch's area_pixel_compute_scale, in float
        float[] w = new float[out * in];
        for (int i = 0; i < out; i++) {
            float source = Math.max(scale * (i + 0.5f) - 0.5f, 0f);
            int first = (int) source;
            int second = first < in - 1 ? first + 1 : first;
            float far = source - first;
            w[i * in + first] += 1f - far;
            w[i * in + second] += far;
        }
        return m.create(w, new Shape(out, in));
    }
}
