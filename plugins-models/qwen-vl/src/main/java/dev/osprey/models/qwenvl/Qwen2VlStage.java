package dev.osprey.models.qwenvl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.model.spi.MediaStage;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.StagedInputs;

/**
 * What Qwen2-VL and Qwen2.5-VL do before its language model's layers: encodes the request's images and videos with the
 * {@link VisionTower}, puts the i-th item's embeddings into the i-th run of its placeholder tokens
 * ({@code <|image_pad|>}, {@code <|video_pad|>}), and gives every token its M-RoPE positions
 * ({@link MropePositions}). Decoding steps carry no media: their text positions, shifted by the prompt's
 * {@code rope_deltas}, serve all three axes.
 *
 * <p>Qwen3-VL also hands the decoder its DeepStack features: the k-th is added to the output of language-model layer
 * k at the image and video tokens. Its videos are prompted frame group by frame group, each after its timestamp, so
 * each group's placeholders are an item of their own for the positions.
 */
final class Qwen2VlStage implements MediaStage {

    /** Qwen2.5-VL's processor's seconds per temporal patch of each video. */
    static final String SECOND_PER_GRID_TS = "second_per_grid_ts";

    private final String name;
    private final Qwen2VlConfig config;
    private final VisionTower tower;

    /**
     * @param name the model type, for messages
     * @param module the vision tower's checkpoint prefix
     */
    Qwen2VlStage(Parameters p, String name, Qwen2VlConfig config, String module) {
        this.name = name;
        this.config = config;
        this.tower = new VisionTower(p, module, config.vision());
    }

    @Override
    public StagedInputs apply(ForwardRequest request, NDArray embeddings, NDArray positions) {
        MediaTensors media = request.media().orElse(null);
        if (media == null) {
            return new StagedInputs(embeddings, positions.expandDims(0).repeat(0, 3), null); // (3, B, T)
        }
        NDArray ids = request.inputIds(); // (B, T)
        int batch = Math.toIntExact(ids.getShape().get(0));
        int steps = Math.toIntExact(ids.getShape().get(1));
        long[] tokens = ids.toType(DataType.INT64, false).toLongArray();
        long[][] images = grids(media, MediaTensors.IMAGE_GRID_THW);
        long[][] videos = grids(media, MediaTensors.VIDEO_GRID_THW);
        boolean framesApart = config.qwen3() != null;
        MropePositions mrope = MropePositions.of(
                tokens,
                positions.toType(DataType.INT64, false).toLongArray(),
                batch,
                steps,
                config.imageTokenId(),
                images,
                config.videoTokenId(),
                framesApart ? frames(videos) : videos,
                framesApart ? null : videoIntervals(media, videos.length),
                config.vision().mergeSize());
        check(media, MediaTensors.IMAGE, mrope.imageRows());
        check(media, MediaTensors.VIDEO, framesApart ? firstFrames(mrope.videoRows(), videos) : mrope.videoRows());

        NDManager m = embeddings.getManager();
        long hidden = embeddings.getShape().get(2);
        String adapter = request.adapter().orElse(null);
        NDArray flat = embeddings.reshape(-1, hidden); // (B·T, H)
        long[] source = new long[batch * steps];
        for (int i = 0; i < source.length; i++) {
            source[i] = i;
        }
        long next = (long) batch * steps;
        // DeepStack: per stacked layer, a zero row for text tokens and then the visual tokens' rows, in order
        int stacked = config.vision().deepstackLayers().size();
        List<List<NDArray>> deep = new ArrayList<>();
        for (int k = 0; k < stacked; k++) {
            deep.add(new ArrayList<>(List.of(m.zeros(new Shape(1, hidden), flat.getDataType())))); // (1, H)
        }
        if (images.length > 0) {
            VisionTower.Encoded encoded = tower.encode(media.require(MediaTensors.PIXEL_VALUES, name), images, adapter);
            flat = flat.concat(encoded.features().toType(flat.getDataType(), false), 0); // (B·T + images' tokens, H)
            next = placeholders(tokens, config.imageTokenId(), source, next);
            collect(deep, encoded, flat.getDataType());
        }
        if (videos.length > 0) {
            VisionTower.Encoded encoded =
                    tower.encode(media.require(MediaTensors.PIXEL_VALUES_VIDEOS, name), videos, adapter);
            flat = flat.concat(encoded.features().toType(flat.getDataType(), false), 0);
            placeholders(tokens, config.videoTokenId(), source, next);
            collect(deep, encoded, flat.getDataType());
        }
        // a gather rather than an in-place scatter: autograd reaches the vision tower through it
        NDArray merged = flat.get(m.create(source)).reshape(batch, steps, hidden); // (B, T, H)
        NDArray rope = m.create(mrope.positions(), new Shape(3, batch, steps)); // (3, B, T)
        List<NDArray> additions = new ArrayList<>();
        if (stacked > 0) {
            // the visual tokens in order: images' then videos' rows, as the features were concatenated
            long[] visual = new long[batch * steps];
            long row = 1;
            for (long token : new long[] {config.imageTokenId(), config.videoTokenId()}) {
                for (int i = 0; i < tokens.length; i++) {
                    if (tokens[i] == token) {
                        visual[i] = row++;
                    }
                }
            }
            NDArray index = m.create(visual);
            for (List<NDArray> rows : deep) {
                NDArray table = NDArrays.concat(new NDList(rows), 0); // (1 + visual tokens, H)
                additions.add(table.get(index).reshape(batch, steps, hidden)); // (B, T, H)
            }
        }
        return new StagedInputs(merged, rope, mrope.shift(), null, additions);
    }

    /** Appends an encoding's DeepStack features to each stacked layer's rows. */
    private static void collect(List<List<NDArray>> deep, VisionTower.Encoded encoded, DataType type) {
        for (int k = 0; k < deep.size(); k++) {
            deep.get(k).add(encoded.deepstack().get(k).toType(type, false));
        }
    }

    /** Each video's (t, h, w) as t items of (1, h, w): Qwen3-VL prompts each frame group apart. */
    static long[][] frames(long[][] videos) {
        List<long[]> out = new ArrayList<>();
        for (long[] g : videos) {
            for (long t = 0; t < g[0]; t++) {
                out.add(new long[] {1, g[1], g[2]});
            }
        }
        return out.toArray(new long[0][]);
    }

    /** The row of each video from the rows of its frame groups. */
    private static int[] firstFrames(int[] frameRows, long[][] videos) {
        int[] rows = new int[videos.length];
        int at = 0;
        for (int i = 0; i < videos.length; i++) {
            rows[i] = frameRows[at];
            at += Math.toIntExact(videos[i][0]);
        }
        return rows;
    }

    /**
     * Qwen2.5-VL's temporal step of each video, {@code tokens_per_second · int(second_per_grid_ts)}; null for
     * Qwen2-VL's 1.
     */
    private long[] videoIntervals(MediaTensors media, int videos) {
        if (config.vision().tokensPerSecond() == 0 || videos == 0) {
            return null;
        }
        float[] seconds = media.require(SECOND_PER_GRID_TS, name)
                .toType(DataType.FLOAT32, false)
                .toFloatArray();
        if (seconds.length != videos) {
            throw new IllegalArgumentException(
                    SECOND_PER_GRID_TS + " has " + seconds.length + " values for " + videos + " videos");
        }
        long[] intervals = new long[videos];
        for (int i = 0; i < videos; i++) {
            intervals[i] = config.vision().tokensPerSecond() * (long) seconds[i];
        }
        return intervals;
    }

    /** Points each placeholder of {@code token}, in order, at the next media row after the token rows. */
    private static long placeholders(long[] tokens, long token, long[] source, long next) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == token) {
                source[i] = next++;
            }
        }
        return next;
    }

    /** The (t, h, w) rows of {@code name}, or none. */
    private static long[][] grids(MediaTensors media, String name) {
        NDArray grid = media.get(name).orElse(null);
        if (grid == null) {
            return new long[0][];
        }
        if (grid.getShape().dimension() != 2 || grid.getShape().get(1) != 3) {
            throw new IllegalArgumentException(name + " must be (items, 3) rows of (t, h, w), was " + grid.getShape());
        }
        long[] values = grid.toType(DataType.INT64, false).toLongArray();
        long[][] rows = new long[Math.toIntExact(grid.getShape().get(0))][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = Arrays.copyOfRange(values, 3 * i, 3 * i + 3);
        }
        return rows;
    }

    /** The rows the request says its items belong to must be the rows their placeholders are in. */
    private static void check(MediaTensors media, String modality, int[] found) {
        media.rowsOf(modality).ifPresent(said -> {
            if (!Arrays.equals(said, found)) {
                throw new IllegalArgumentException(
                        "the request puts its " + modality + "s in batch rows " + Arrays.toString(said)
                                + " but their placeholder tokens are in rows " + Arrays.toString(found));
            }
        });
    }
}
