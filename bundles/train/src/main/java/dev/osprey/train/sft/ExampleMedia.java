package dev.osprey.train.sft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.MediaTensors;

/**
 * The media tensors of one training example (a processor's {@code pixel_values}, {@code image_grid_thw}, ...), kept as
 * plain Java between encoding and batching so that a dataset holds no native memory.
 *
 * @param arrays by tensor name: float32 or int64 values with their shape
 */
public record ExampleMedia(Map<String, Array> arrays) {

    /** One tensor: exactly one of {@code floats} and {@code longs} is set. */
    public record Array(long[] shape, float[] floats, long[] longs) {}

    public ExampleMedia {
        arrays = Map.copyOf(new LinkedHashMap<>(arrays));
    }

    /** A copy of {@code media}'s tensors. */
    public static ExampleMedia of(MediaTensors media) {
        Map<String, Array> out = new LinkedHashMap<>();
        media.tensors().forEach((name, a) -> {
            long[] shape = a.getShape().getShape();
            out.put(
                    name,
                    a.getDataType() == DataType.INT64 || a.getDataType() == DataType.INT32
                            ? new Array(
                                    shape, null, a.toType(DataType.INT64, false).toLongArray())
                            : new Array(shape, a.toType(DataType.FLOAT32, false).toFloatArray(), null));
        });
        return new ExampleMedia(out);
    }

    /**
     * The media of several examples as one: each name's items joined along the first axis in order, as a processor
     * returns a batch (a packed example's samples, a batch's rows).
     *
     * @param source what the parts make up, for the message (a packed example, a batch)
     * @throws IllegalArgumentException when the parts differ in their tensor names or in a tensor's inner shape
     */
    public static ExampleMedia join(List<ExampleMedia> parts, String source) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        Map<String, Array> out = new LinkedHashMap<>();
        for (String name : parts.get(0).arrays().keySet()) {
            List<Array> items = new ArrayList<>();
            for (ExampleMedia m : parts) {
                Array a = m.arrays().get(name);
                if (a == null || m.arrays().size() != parts.get(0).arrays().size()) {
                    throw new IllegalArgumentException(source + ": the examples have different media tensors: "
                            + parts.get(0).arrays().keySet() + " and "
                            + m.arrays().keySet());
                }
                items.add(a);
            }
            out.put(name, concat(name, items, source));
        }
        return new ExampleMedia(out);
    }

    private static Array concat(String name, List<Array> items, String source) {
        long[] shape = items.get(0).shape().clone();
        long rows = 0;
        int size = 0;
        for (Array a : items) {
            if (a.shape().length != shape.length
                    || !Arrays.equals(a.shape(), 1, a.shape().length, shape, 1, shape.length)
                    || (a.floats() == null) != (items.get(0).floats() == null)) {
                throw new IllegalArgumentException(source + ": " + name + " of the examples cannot be joined: "
                        + Arrays.toString(shape) + " and " + Arrays.toString(a.shape()));
            }
            rows += a.shape()[0];
            size += a.floats() != null ? a.floats().length : a.longs().length;
        }
        shape[0] = rows;
        if (items.get(0).floats() != null) {
            float[] floats = new float[size];
            int at = 0;
            for (Array a : items) {
                System.arraycopy(a.floats(), 0, floats, at, a.floats().length);
                at += a.floats().length;
            }
            return new Array(shape, floats, null);
        }
        long[] longs = new long[size];
        int at = 0;
        for (Array a : items) {
            System.arraycopy(a.longs(), 0, longs, at, a.longs().length);
            at += a.longs().length;
        }
        return new Array(shape, null, longs);
    }

    /**
     * The tensors of a batch's examples in {@code manager}: {@link #join}ed in row order (Qwen2-VL's patches and grids,
     * LLaVA's images), one array per name.
     *
     * @param rows the examples' media in row order, null for rows without
     * @return the batch's media, or null when no row has any
     * @throws IllegalArgumentException when the rows' media differ in their tensor names or inner shapes
     */
    public static MediaTensors batch(NDManager manager, List<ExampleMedia> rows) {
        List<ExampleMedia> present = rows.stream().filter(m -> m != null).toList();
        if (present.isEmpty()) {
            return null;
        }
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        join(present, "the batch")
                .arrays()
                .forEach((name, a) -> tensors.put(
                        name,
                        a.floats() != null
                                ? manager.create(a.floats(), new Shape(a.shape()))
                                : manager.create(a.longs(), new Shape(a.shape()))));
        return MediaTensors.of(tensors);
    }
}
