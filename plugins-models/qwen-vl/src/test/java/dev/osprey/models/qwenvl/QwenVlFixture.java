package dev.osprey.models.qwenvl;

import static dev.osprey.model.reference.MediaReference.flat;
import static dev.osprey.model.reference.MediaReference.matrix;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.MediaTensors;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.reference.HfReference;

/**
 * A fixture of tools/make-multimodal-fixtures.py: reference.json (the batch, transformers' outputs, which row each
 * image and video is in) and inputs.safetensors (the media, in placeholder order).
 */
final class QwenVlFixture {

    final Path folder;
    final JsonNode ref;
    final long[][] ids;
    final long[][] mask;
    final long[][] labels;
    private final Item images;
    private final Item videos;
    private final float[] seconds;

    /** One modality's items: their patches, grids and rows. */
    private record Item(float[] pixels, long features, long[][] grids, int[] rows) {

        /** The patches and grids of the items whose row passes. */
        void select(NDManager m, IntPredicate row, String pixelsName, String gridName, Map<String, NDArray> out) {
            List<long[]> chosen = new ArrayList<>();
            List<float[]> patches = new ArrayList<>();
            long from = 0;
            for (int i = 0; i < grids.length; i++) {
                long count = grids[i][0] * grids[i][1] * grids[i][2];
                if (row.test(rows[i])) {
                    chosen.add(grids[i]);
                    patches.add(Arrays.copyOfRange(pixels, (int) (from * features), (int) ((from + count) * features)));
                }
                from += count;
            }
            if (chosen.isEmpty()) {
                return;
            }
            int total = patches.stream().mapToInt(p -> p.length).sum();
            float[] flat = new float[total];
            int at = 0;
            for (float[] p : patches) {
                System.arraycopy(p, 0, flat, at, p.length);
                at += p.length;
            }
            out.put(pixelsName, m.create(flat, new Shape(total / features, features)));
            out.put(
                    gridName,
                    m.create(chosen.stream().flatMapToLong(Arrays::stream).toArray(), new Shape(chosen.size(), 3)));
        }
    }

    QwenVlFixture(String name) throws IOException {
        folder = HfReference.fixture(QwenVlFixture.class, name);
        ref = new ObjectMapper().readTree(folder.resolve("reference.json").toFile());
        ids = matrix(ref.get("input_ids"));
        mask = matrix(ref.get("attention_mask"));
        labels = matrix(ref.get("labels"));
        // a pre-quantized variant reads the media of the case it was made from
        WeightFiles inputs =
                WeightFiles.openFile(folder.resolve(ref.path("inputs").asText("inputs.safetensors")));
        JsonNode rows = ref.has("image_rows") ? ref : base();
        try (NDManager scratch = NDManager.newBaseManager()) {
            images = item(
                    inputs, scratch, MediaTensors.PIXEL_VALUES, MediaTensors.IMAGE_GRID_THW, rows.get("image_rows"));
            videos = item(
                    inputs,
                    scratch,
                    MediaTensors.PIXEL_VALUES_VIDEOS,
                    MediaTensors.VIDEO_GRID_THW,
                    rows.get("video_rows"));
            seconds = inputs.contains(Qwen2VlStage.SECOND_PER_GRID_TS)
                    ? inputs.load(scratch, Qwen2VlStage.SECOND_PER_GRID_TS, DataType.FLOAT32)
                            .toFloatArray()
                    : new float[0];
        }
    }

    /** The reference.json of the case a pre-quantized variant was made from. */
    private JsonNode base() throws IOException {
        Path inputs = folder.resolve(ref.get("inputs").asText()).normalize();
        return new ObjectMapper()
                .readTree(inputs.resolveSibling("reference.json").toFile());
    }

    private static Item item(WeightFiles inputs, NDManager m, String pixels, String grid, JsonNode rows)
            throws IOException {
        if (!inputs.contains(pixels)) {
            return new Item(new float[0], 1, new long[0][], new int[0]);
        }
        NDArray p = inputs.load(m, pixels, DataType.FLOAT32);
        long[] g = inputs.load(m, grid, null).toLongArray();
        long[][] grids = new long[g.length / 3][];
        for (int i = 0; i < grids.length; i++) {
            grids[i] = Arrays.copyOfRange(g, 3 * i, 3 * i + 3);
        }
        int[] r = new int[rows.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = rows.get(i).asInt();
        }
        return new Item(p.toFloatArray(), p.getShape().get(1), grids, r);
    }

    /** The media of the rows that pass, in placeholder order (rows renumbered from 0 are not described). */
    MediaTensors media(NDManager m, IntPredicate row) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        images.select(m, row, MediaTensors.PIXEL_VALUES, MediaTensors.IMAGE_GRID_THW, out);
        videos.select(m, row, MediaTensors.PIXEL_VALUES_VIDEOS, MediaTensors.VIDEO_GRID_THW, out);
        if (out.containsKey(MediaTensors.VIDEO_GRID_THW) && seconds.length > 0) { // Qwen2.5-VL's
            List<Float> chosen = new ArrayList<>();
            for (int i = 0; i < videos.rows().length; i++) {
                if (row.test(videos.rows()[i])) {
                    chosen.add(seconds[i]);
                }
            }
            float[] s = new float[chosen.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = chosen.get(i);
            }
            out.put(Qwen2VlStage.SECOND_PER_GRID_TS, m.create(s));
        }
        return MediaTensors.of(out);
    }

    /** Every item of the batch. */
    MediaTensors media(NDManager m) {
        return media(m, r -> true);
    }

    long[][] imageGrids() {
        return images.grids();
    }

    long[][] videoGrids() {
        return videos.grids();
    }

    int[] imageRows() {
        return images.rows();
    }

    /** Qwen2.5-VL's temporal step per video, tokens_per_second x int(second_per_grid_ts); null for Qwen2-VL. */
    long[] videoIntervals(int tokensPerSecond) {
        if (tokensPerSecond == 0) {
            return null;
        }
        long[] v = new long[seconds.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = tokensPerSecond * (long) seconds[i];
        }
        return v;
    }

    /** A JSON array of integers, as the fixtures hold token ids. */
    static int[] ints(JsonNode node) {
        int[] out = new int[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.get(i).asInt();
        }
        return out;
    }

    /** The integers of a JSON array nested to any depth (a grid's rows, a shape), one after another. */
    static long[] flatLongs(JsonNode node) {
        List<Long> out = new ArrayList<>();
        flatten(node, out);
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static void flatten(JsonNode node, List<Long> out) {
        if (node.isArray()) {
            node.forEach(n -> flatten(n, out));
        } else {
            out.add(node.asLong());
        }
    }
}
