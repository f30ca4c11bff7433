package dev.osprey.models.qwenvl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.media.ImageProcessor;
import dev.osprey.media.ImageProcessors;
import dev.osprey.media.MediaLoader;
import dev.osprey.media.MediaRef;
import dev.osprey.media.PixelValues;
import dev.osprey.media.Qwen2VlImageProcessor;
import dev.osprey.media.QwenVlUtils;
import dev.osprey.media.RgbImage;
import dev.osprey.media.Video;
import dev.osprey.model.spi.MediaProcessor;

/**
 * Qwen2-VL's and Qwen2.5-VL's {@code Qwen2VLProcessor} beside the pixels: each image's {@code <|image_pad|>}
 * becomes t·h·w/merge² of them, as the image processor of the model folder counts, and the images become
 * {@code pixel_values} and {@code image_grid_thw}. Each video's {@code <|video_pad|>} likewise, its frames sampled
 * and sized as ms-swift's qwen-vl-utils {@code fetch_video} does (fps, {@code FPS_MAX_FRAMES},
 * {@code VIDEO_MIN_PIXELS}/{@code VIDEO_MAX_PIXELS}/{@code VIDEO_TOTAL_PIXELS} from the environment) and then run
 * through the video processor without its resize, as ms-swift calls it: {@code pixel_values_videos},
 * {@code video_grid_thw} and, for Qwen2.5-VL, {@code second_per_grid_ts} (temporal patch / sampled fps). Qwen3-VL's
 * {@code Qwen3VLProcessor} writes a video frame group by frame group instead: each group's timestamp text
 * ({@link VideoTimestamps}, from the frames' indices and the video's fps as qwen-vl-utils' {@code video_metadata}
 * gives them), then {@code <|vision_start|>}, its h·w/merge² {@code <|video_pad|>}, {@code <|vision_end|>}. The
 * processors (and, for Qwen3-VL's timestamps, the folder's tokenizer) are read when the first image or video comes,
 * so a folder without them loads and serves text.
 */
final class QwenVlMediaProcessor implements MediaProcessor {

    /** What Qwen2-VL's chat template writes for an image, between {@code <|vision_start|>} and {@code <|vision_end|>}. */
    static final String IMAGE_PAD = "<|image_pad|>";

    static final String VIDEO_PAD = "<|video_pad|>";

    private final Path folder;
    private final long imageTokenId;
    private final long videoTokenId;
    private final Qwen2VlConfig.Generation generation;
    private final QwenVlUtils.Settings settings;
    private volatile ImageProcessor images;
    private volatile Qwen2VlImageProcessor videos;
    private volatile FrameGroupText frameGroups;

    QwenVlMediaProcessor(Path folder, Qwen2VlConfig config) {
        this(folder, config, QwenVlUtils.Settings.fromEnvironment(System.getenv()));
    }

    /** @param settings ms-swift's pixel bounds and frame sampling (its environment variables) */
    QwenVlMediaProcessor(Path folder, Qwen2VlConfig config, QwenVlUtils.Settings settings) {
        this.folder = folder;
        this.imageTokenId = config.imageTokenId();
        this.videoTokenId = config.videoTokenId();
        this.generation = config.qwen3() != null
                ? Qwen2VlConfig.Generation.QWEN3
                : config.vision().tokensPerSecond() > 0
                        ? Qwen2VlConfig.Generation.QWEN25
                        : Qwen2VlConfig.Generation.QWEN2;
        this.settings = settings;
    }

    @Override
    public Map<String, String> placeholders() {
        return Map.of(ContentPart.IMAGE, IMAGE_PAD, ContentPart.VIDEO, VIDEO_PAD);
    }

    @Override
    public Processed process(EncodedPrompt prompt, MediaLoader loader, NDManager manager) {
        if (prompt.media().isEmpty()) {
            return new Processed(prompt.inputIds(), prompt.labels(), null);
        }
        List<RgbImage> pictures = new ArrayList<>();
        List<List<RgbImage>> clips = new ArrayList<>();
        List<Double> clipFps = new ArrayList<>();
        List<String[]> clipTimestamps = new ArrayList<>();
        List<String> kinds = new ArrayList<>();
        for (int i = 0; i < prompt.media().size(); i++) {
            ContentPart part = prompt.media().get(i).part();
            String where = part.type() + " " + (i + 1) + " of the prompt";
            switch (part.type()) {
                case ContentPart.IMAGE ->
                    pictures.add(loader.image(MediaRef.image(part.value()).in(where)));
                case ContentPart.VIDEO -> {
                    MediaRef ref = new MediaRef("video", part.value(), where);
                    Video video = loader.video(ref, settings.sampler(), QwenVlUtils.FPS);
                    List<RgbImage> frames = QwenVlUtils.fetchVideo(
                            video, videoProcessor().config().factor(), settings);
                    clips.add(frames);
                    clipFps.add(QwenVlUtils.sampleFps(video));
                    // qwen-vl-utils' video_metadata: a file's sampled indices at its own fps; a frame list's
                    // (padded) frames numbered 0..n-1 at the 2 fps it is said to be taken at
                    int[] indices = video.frameList()
                            ? java.util.stream.IntStream.range(0, frames.size()).toArray()
                            : video.frameIndices();
                    clipTimestamps.add(VideoTimestamps.texts(
                            indices, video.fps(), videoProcessor().config().temporalPatchSize()));
                }
                default ->
                    throw new IllegalArgumentException(
                            "media part " + i + " (" + part.type() + "): Qwen-VL prompts take images and videos");
            }
            kinds.add(part.type());
        }
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        int[] imageTokens = new int[0];
        int[] videoTokens = new int[0];
        int[][] videoGrids = new int[0][];
        if (!pictures.isEmpty()) {
            PixelValues pixels = imageProcessor().preprocess(pictures);
            tensors.put(MediaTensors.PIXEL_VALUES, values(pixels, manager)); // (patches, C·T·P·P)
            tensors.put(MediaTensors.IMAGE_GRID_THW, grid(pixels, manager)); // (images, 3)
            imageTokens = pixels.tokens();
        }
        if (!clips.isEmpty()) {
            PixelValues pixels = videoProcessor().preprocessVideos(clips);
            tensors.put(MediaTensors.PIXEL_VALUES_VIDEOS, values(pixels, manager)); // (patches, C·T·P·P)
            tensors.put(MediaTensors.VIDEO_GRID_THW, grid(pixels, manager)); // (videos, 3)
            if (generation == Qwen2VlConfig.Generation.QWEN25) {
                float[] seconds = new float[clips.size()];
                for (int v = 0; v < seconds.length; v++) { // seconds a temporal patch spans
                    seconds[v] = (float) (videoProcessor().config().temporalPatchSize() / clipFps.get(v));
                }
                tensors.put(Qwen2VlStage.SECOND_PER_GRID_TS, manager.create(seconds)); // (videos)
            }
            videoTokens = pixels.tokens();
            videoGrids = pixels.gridThw();
        }
        List<int[]> runs = new ArrayList<>();
        int image = 0;
        int video = 0;
        for (String kind : kinds) {
            boolean isImage = kind.equals(ContentPart.IMAGE);
            if (!isImage && generation == Qwen2VlConfig.Generation.QWEN3) {
                int groups = videoGrids[video][0]; // grid t: the temporal patch groups
                if (clipTimestamps.get(video).length != groups) {
                    throw new IllegalStateException(clipTimestamps.get(video).length + " timestamps for the " + groups
                            + " frame groups of video " + (video + 1));
                }
                runs.add(frameGroupText().run(clipTimestamps.get(video), videoTokens[video++] / groups, videoTokenId));
                continue;
            }
            int[] run = new int[isImage ? imageTokens[image++] : videoTokens[video++]];
            Arrays.fill(run, Math.toIntExact(isImage ? imageTokenId : videoTokenId));
            runs.add(run);
        }
        return MediaProcessor.expand(prompt, runs, MediaTensors.of(tensors));
    }

    private static NDArray values(PixelValues pixels, NDManager manager) {
        return manager.create(pixels.data(), new Shape(pixels.shape()));
    }

    private static NDArray grid(PixelValues pixels, NDManager manager) {
        long[] grid = new long[pixels.gridThw().length * 3];
        for (int i = 0; i < pixels.gridThw().length; i++) {
            for (int d = 0; d < 3; d++) {
                grid[i * 3 + d] = pixels.gridThw()[i][d];
            }
        }
        return manager.create(grid, new Shape(pixels.gridThw().length, 3));
    }

    private ImageProcessor imageProcessor() {
        ImageProcessor p = images;
        if (p == null) {
            p = ImageProcessors.forModel(folder);
            images = p;
        }
        return p;
    }

    private FrameGroupText frameGroupText() {
        FrameGroupText t = frameGroups;
        if (t == null) {
            t = FrameGroupText.forModel(folder);
            frameGroups = t;
        }
        return t;
    }

    /** The folder's video processor, without its resize: the frames come sized by {@link QwenVlUtils#fetchVideo}. */
    private Qwen2VlImageProcessor videoProcessor() {
        Qwen2VlImageProcessor p = videos;
        if (p == null) {
            p = new Qwen2VlImageProcessor(
                    ImageProcessors.videoForModel(folder).config().withoutResize());
            videos = p;
        }
        return p;
    }
}
