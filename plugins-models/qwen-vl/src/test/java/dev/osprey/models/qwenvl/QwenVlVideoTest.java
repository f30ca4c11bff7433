package dev.osprey.models.qwenvl;

import static dev.osprey.models.qwenvl.QwenVlFixture.flatLongs;
import static dev.osprey.models.qwenvl.QwenVlFixture.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.MediaInput;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.media.MediaException;
import dev.osprey.media.MediaLoader;
import dev.osprey.media.MediaRef;
import dev.osprey.media.QwenVlUtils;
import dev.osprey.media.Video;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.reference.HfReference;
import dev.osprey.model.spi.MediaProcessor;

/**
 * Videos in prompts against transformers (tools/make-qwen-vl-video-fixtures.py): an MP4 file (H.264, made by
 * tools/MakeTestVideo.java) decoded by JCodec, sampled and sized as ms-swift's qwen-vl-utils does with the test's
 * environment, a folder of frames, and an image, in one prompt, become the ids, {@code pixel_values_videos},
 * {@code video_grid_thw}, {@code second_per_grid_ts} (Qwen2.5-VL), logits and loss of transformers 5.12.1's video
 * processor and model. Qwen3-VL and Qwen3-VL-MoE through {@code Qwen3VLProcessor}: each frame group after its
 * timestamp text ({@code <1.0 seconds>}), tokenized by the folder's tokenizer.
 */
class QwenVlVideoTest {

    static final Path VIDEO =
            HfReference.fixture(QwenVlVideoTest.class, "qwen2-vl").resolveSibling("qwen-vl-video");

    /** Qwen3-VL's processor configs and tokenizer (its timestamps are words of it); the clips stay in {@link #VIDEO}. */
    static final Path QWEN3_VIDEO = VIDEO.resolveSibling("qwen3-vl-video");

    static Stream<Arguments> models() {
        return Stream.of(
                arguments("qwen2-vl", new Qwen2VlArchitecture(), VIDEO),
                arguments("qwen2.5-vl", new Qwen25VlArchitecture(), VIDEO),
                arguments("qwen3-vl", new Qwen3VlArchitecture(), QWEN3_VIDEO),
                arguments("qwen3-vl-moe", new Qwen3VlMoeArchitecture(), QWEN3_VIDEO));
    }

    /** The environment the fixture was made with, as ms-swift reads it. */
    static QwenVlUtils.Settings settings(JsonNode env) {
        Map<String, String> vars = new java.util.LinkedHashMap<>();
        env.fields().forEachRemaining(e -> vars.put(e.getKey(), e.getValue().asText()));
        return QwenVlUtils.Settings.fromEnvironment(vars);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void videosAndAnImageGiveTransformersIdsPixelsLogitsAndLoss(String name, QwenVlFamily architecture, Path processors)
            throws IOException {
        JsonNode ref =
                new ObjectMapper().readTree(processors.resolve(name + ".json").toFile());
        Path model = HfReference.fixture(QwenVlVideoTest.class, name);
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(model, c -> architecture, manager, DataType.FLOAT32)) {
            MediaProcessor processor =
                    new QwenVlMediaProcessor(processors, architecture.config(hf.config()), settings(ref.get("env")));
            assertEquals(Map.of("image", "<|image_pad|>", "video", "<|video_pad|>"), processor.placeholders());
            int[] promptIds = ints(ref.get("prompt_ids"));
            List<MediaInput> media = new ArrayList<>();
            JsonNode parts = ref.get("parts");
            for (int i = 0, v = 0; i < parts.size(); i++) {
                String kind = parts.get(i).get(0).asText();
                String reference = kind.equals("image")
                        ? ref.get("image").asText()
                        : ref.get("videos").get(v++).asText();
                media.add(new MediaInput(parts.get(i).get(1).asInt(), new ContentPart(kind, reference)));
            }
            MediaProcessor.Processed p = processor.process(
                    new EncodedPrompt(promptIds, promptIds.clone(), media), new MediaLoader(VIDEO), manager);

            assertArrayEquals(ints(ref.get("input_ids")), p.inputIds(), "expanded ids");
            int[] labels = ints(ref.get("labels"));
            for (int i = 1; i < labels.length; i++) {
                assertEquals(labels[i], p.labels()[i], "label " + i);
            }
            NDArray grid = p.media().require(MediaTensors.VIDEO_GRID_THW, "test");
            assertArrayEquals(flatLongs(ref.get("video_grid_thw")), grid.toLongArray(), "video_grid_thw");
            NDArray pixels = p.media().require(MediaTensors.PIXEL_VALUES_VIDEOS, "test");
            assertArrayEquals(
                    flatLongs(ref.get("pixel_values_videos_shape")),
                    pixels.getShape().getShape());
            float[] values = pixels.toFloatArray();
            double sum = 0;
            double absSum = 0;
            for (float v : values) {
                sum += v;
                absSum += Math.abs(v);
            }
            assertEquals(ref.get("pixel_values_videos_sum").asDouble(), sum, 1e-3, "sum of pixel_values_videos");
            assertEquals(
                    ref.get("pixel_values_videos_abs_sum").asDouble(), absSum, 1e-3, "sum of |pixel_values_videos|");
            JsonNode first = ref.get("pixel_values_videos_first");
            for (int i = 0; i < first.size(); i++) {
                assertEquals(first.get(i).asDouble(), values[i], 1e-6, "pixel_values_videos[0][" + i + "]");
            }
            JsonNode last = ref.get("pixel_values_videos_last");
            for (int i = 0; i < last.size(); i++) {
                assertEquals(
                        last.get(i).asDouble(),
                        values[values.length - last.size() + i],
                        1e-6,
                        "pixel_values_videos[-1][" + i + "]");
            }
            if (ref.get("second_per_grid_ts").isNull()) {
                assertTrue(p.media().get(Qwen2VlStage.SECOND_PER_GRID_TS).isEmpty());
            } else {
                float[] seconds = p.media()
                        .require(Qwen2VlStage.SECOND_PER_GRID_TS, "test")
                        .toFloatArray();
                for (int i = 0; i < seconds.length; i++) {
                    assertEquals(ref.get("second_per_grid_ts").get(i).asDouble(), seconds[i], 1e-6);
                }
            }

            long[] ids = java.util.Arrays.stream(p.inputIds()).asLongStream().toArray();
            Shape shape = new Shape(1, ids.length);
            NDArray logits = hf.model()
                    .forward(ForwardRequest.builder(manager.create(ids, shape))
                            .optMedia(p.media())
                            .build())
                    .logits(); // (1, T, V)
            long[][] mask = {java.util.Arrays.stream(ids).map(x -> 1).toArray()};
            HfReference.assertLogits(name + " with videos", logits, mask, ref.get("logits"));
            long[] trainLabels = java.util.Arrays.stream(labels).asLongStream().toArray();
            double loss =
                    Losses.causalLm(logits, manager.create(trainLabels, shape)).getFloat();
            assertEquals(ref.get("loss").asDouble(), loss, 1e-4 * Math.max(1, loss), "loss");
        }
    }

    @Test
    void theClipDecodesToTheFramesTheFixtureWasMadeFromAndSamplesAsQwenVlUtils() throws IOException {
        JsonNode ref =
                new ObjectMapper().readTree(VIDEO.resolve("qwen2-vl.json").toFile());
        QwenVlUtils.Settings settings = settings(ref.get("env"));
        Video video = new MediaLoader(VIDEO)
                .video(new MediaRef("video", "clip.mp4", null), settings.sampler(), QwenVlUtils.FPS);
        assertFalse(video.frameList());
        assertEquals(20, video.totalFrames());
        assertEquals(10.0, video.fps(), 1e-9);
        assertArrayEquals(ints(ref.get("clip_frame_indices")), video.frameIndices());
        assertEquals(ref.get("clip_sample_fps").asDouble(), video.sampleFps(), 1e-9);
        for (int i = 0; i < video.frames().size(); i++) {
            Path png = VIDEO.resolve(String.format("clip-frames/%03d.png", video.frameIndices()[i]));
            var expected = ImageIO.read(png.toFile());
            var frame = video.frames().get(i);
            for (int y = 0; y < frame.height(); y++) {
                for (int x = 0; x < frame.width(); x++) {
                    int rgb = expected.getRGB(x, y);
                    int[] want = {(rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF};
                    for (int c = 0; c < 3; c++) {
                        assertEquals(want[c], frame.sample(x, y, c), "frame " + i + " at " + x + "," + y);
                    }
                }
            }
        }
        JsonNode size = ref.get("clip_size");
        var fetched = QwenVlUtils.fetchVideo(video, 8, settings);
        assertEquals(size.get(0).asInt(), fetched.get(0).height());
        assertEquals(size.get(1).asInt(), fetched.get(0).width());
    }

    @Test
    void qwen3VlTimestampsAreTheGroupsMeanTimesFormattedAsPython() {
        // clip.mp4's sampled frames 0, 4, 8, 11, 15, 19 at 10 fps: (0.8 + 1.1) / 2 is 0.9500000000000001
        assertArrayEquals(
                new String[] {"<0.2 seconds>", "<1.0 seconds>", "<1.7 seconds>"},
                VideoTimestamps.texts(new int[] {0, 4, 8, 11, 15, 19}, 10.0, 2));
        // a list of frames at 2 fps: the exact halves 0.25, 1.25 round to even, not up as Java's %.1f does
        assertArrayEquals(
                new String[] {"<0.2 seconds>", "<1.2 seconds>", "<2.2 seconds>"},
                VideoTimestamps.texts(new int[] {0, 1, 2, 3, 4, 5}, 2.0, 2));
        // an odd count: the last group repeats its last frame
        assertArrayEquals(
                new String[] {"<0.5 seconds>", "<2.0 seconds>"}, VideoTimestamps.texts(new int[] {0, 2, 4}, 2.0, 2));
    }

    @Test
    void aQwen3VlFolderWithoutATokenizerIsNamedWhenAVideoComes() throws IOException {
        Path qwen3 = HfReference.fixture(QwenVlVideoTest.class, "qwen3-vl");
        Qwen3VlArchitecture three = new Qwen3VlArchitecture();
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(qwen3, c -> three, manager, DataType.FLOAT32)) {
            // the qwen-vl-video folder has the processors but no tokenizer.json for the timestamps
            MediaProcessor processor = three.mediaProcessor(hf.config(), VIDEO);
            int[] ids = {1, 17, 150, 153, 5};
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> processor.process(
                            new EncodedPrompt(
                                    ids, ids, List.of(new MediaInput(3, new ContentPart("video", "clip.mp4")))),
                            new MediaLoader(VIDEO),
                            manager));
            assertTrue(
                    e.getMessage().contains("tokenizer.json") && e.getMessage().contains(VIDEO.toString()),
                    e.getMessage());
        }
    }

    @Test
    void aMissingOrBrokenVideoIsNamed() throws IOException {
        Path model = HfReference.fixture(QwenVlVideoTest.class, "qwen2-vl");
        Qwen2VlArchitecture architecture = new Qwen2VlArchitecture();
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(model, c -> architecture, manager, DataType.FLOAT32)) {
            MediaProcessor processor = architecture.mediaProcessor(hf.config(), VIDEO);
            int[] ids = {1, 17, 150, 153, 5};
            MediaException missing = assertThrows(
                    MediaException.class,
                    () -> processor.process(
                            new EncodedPrompt(
                                    ids, ids, List.of(new MediaInput(3, new ContentPart("video", "nope.mp4")))),
                            new MediaLoader(VIDEO),
                            manager));
            assertTrue(missing.getMessage().contains("video 'nope.mp4'"), missing.getMessage());
            // a PNG is not a video: the message names the part and the formats that are
            MediaException notVideo = assertThrows(
                    MediaException.class,
                    () -> processor.process(
                            new EncodedPrompt(ids, ids, List.of(new MediaInput(3, new ContentPart("video", "a.png")))),
                            new MediaLoader(VIDEO),
                            manager));
            assertTrue(
                    notVideo.getMessage().contains("a.png")
                            && notVideo.getMessage().contains("MP4"),
                    notVideo.getMessage());
            MediaProcessor.Processed text =
                    processor.process(new EncodedPrompt(ids, ids, List.of()), new MediaLoader(VIDEO), manager);
            assertNull(text.media());
        }
    }
}
