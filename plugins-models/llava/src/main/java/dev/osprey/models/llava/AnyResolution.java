package dev.osprey.models.llava;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

import dev.osprey.api.model.ModelConfig;

/**
 * LLaVA-NeXT's any-resolution layout ({@code image_grid_pinpoints}): the resolution an image is cut into tiles at
 * (transformers' {@code select_best_resolution}: the most of the image kept, then the least wasted), its grid of
 * tiles, and the rows and columns of features left once the padding the resize added is cut off
 * ({@code unpad_image}).
 */
final class AnyResolution {

    private final List<int[]> pinpoints;
    private final int tile;

    /** @param tile the tower's {@code image_size}, the side of a tile */
    AnyResolution(List<int[]> pinpoints, int tile) {
        if (pinpoints.isEmpty()) {
            throw new IllegalArgumentException("image_grid_pinpoints is empty");
        }
        this.pinpoints = List.copyOf(pinpoints);
        this.tile = tile;
    }

    /** {@code image_grid_pinpoints}: a list of (height, width). */
    static AnyResolution read(ModelConfig config, int tile) {
        Object given = config.get("image_grid_pinpoints").orElse(null);
        if (!(given instanceof List<?> list)) {
            throw new IllegalArgumentException(
                    config.source() + ": image_grid_pinpoints must be a list of [height, width], was " + given);
        }
        List<int[]> out = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof List<?> pair)
                    || pair.size() != 2
                    || !(pair.get(0) instanceof Number h)
                    || !(pair.get(1) instanceof Number w)) {
                throw new IllegalArgumentException(
                        config.source() + ": image_grid_pinpoints must hold [height, width] pairs, has " + item);
            }
            out.add(new int[] {h.intValue(), w.intValue()});
        }
        return new AnyResolution(out, tile);
    }

    /** (height, width) of the pinpoint an image of this size is resized to. */
    int[] bestResolution(long height, long width) {
        int[] best = null;
        long mostKept = 0;
        long leastWasted = Long.MAX_VALUE;
        for (int[] p : pinpoints) {
            double scale = Math.min((double) p[1] / width, (double) p[0] / height);
            long w = (long) (width * scale);
            long h = (long) (height * scale);
            long kept = Math.min(w * h, width * height);
            long wasted = (long) p[0] * p[1] - kept;
            if (kept > mostKept || (kept == mostKept && wasted < leastWasted)) {
                mostKept = kept;
                leastWasted = wasted;
                best = p;
            }
        }
        return best;
    }

    /** (rows, columns) of tiles of an image of this size, its base tile not counted. */
    int[] grid(long height, long width) {
        int[] best = bestResolution(height, width);
        return new int[] {best[0] / tile, best[1] / tile};
    }

    /** The tiles the processor gives an image of this size: its grid and the base tile. */
    int tiles(long height, long width) {
        int[] g = grid(height, width);
        return g[0] * g[1] + 1;
    }

    /**
     * The part of a (rows, columns) feature map that is the image: the padding the processor's aspect-preserving
     * resize left is cut off evenly (Python's {@code int(round(x, 7))}).
     *
     * @return {first row, end row, first column, end column}
     */
    static int[] unpadded(int rows, int columns, long height, long width) {
        double originalAspect = (double) width / height;
        double currentAspect = (double) columns / rows;
        if (originalAspect > currentAspect) {
            int newRows = round7((double) height * ((double) columns / width));
            int pad = (rows - newRows) / 2;
            return new int[] {pad, rows - pad, 0, columns};
        }
        int newColumns = round7((double) width * ((double) rows / height));
        int pad = (columns - newColumns) / 2;
        return new int[] {0, rows, pad, columns - pad};
    }

    private static int round7(double x) {
        return new BigDecimal(x).setScale(7, RoundingMode.HALF_EVEN).intValue();
    }
}
