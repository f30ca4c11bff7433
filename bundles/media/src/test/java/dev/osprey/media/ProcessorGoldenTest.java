package dev.osprey.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Decoded with this bundle, processed with this bundle, compared with what transformers 5.12.1's own
 * processors (the torchvision backends AutoImageProcessor returns) made from PIL's decoding of the same
 * files (tools/make-media-fixtures.py). Every value is equal in float32, except for the lossy WebP, whose
 * decoders differ (see {@link DecodingTest}).
 */
class ProcessorGoldenTest {

    private static final MediaLoader LOADER = new MediaLoader(Fixtures.FOLDER);
    private static final String LOSSY = "lossy.webp";

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        Fixtures.EXPECTED
                .get("cases")
                .fields()
                .forEachRemaining(c -> c.getValue()
                        .get("images")
                        .fieldNames()
                        .forEachRemaining(image -> all.add(Arguments.of(c.getKey(), image))));
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void pixelValuesEqualTransformers(String caseName, String imageName) throws IOException {
        JsonNode c = Fixtures.EXPECTED.get("cases").get(caseName);
        JsonNode expected = c.get("images").get(imageName);
        ImageProcessor processor = ImageProcessors.fromJson(c.get("config").toString(), caseName);
        assertEquals(c.get("processor").asText().replaceAll(".*\\.", ""), processor.name());

        RgbImage image = LOADER.image(MediaRef.image(imageName));
        if (c.has("swift_max_pixels")) {
            image = QwenVlUtils.fetchImage(
                    image,
                    28,
                    c.get("swift_min_pixels").asLong(),
                    c.get("swift_max_pixels").asLong());
        }
        PixelValues pv = processor.preprocess(List.of(image));

        assertArrayEquals(longs(expected.get("shape")), pv.shape(), "shape");
        if (expected.has("grid_thw")) {
            assertArrayEquals(ints(expected.get("grid_thw")), pv.gridThw()[0], "image_grid_thw");
            assertEquals(expected.get("tokens").asInt(), pv.tokens()[0], "image tokens");
            assertEquals(pv.tokens()[0], processor.tokens(image.width(), image.height()));
        }
        double tolerance = imageName.equals(LOSSY) ? 0.6 : 0.0;
        JsonNode index = expected.get("sample_index");
        JsonNode value = expected.get("sample_value");
        for (int i = 0; i < index.size(); i++) {
            float want = (float) value.get(i).asDouble();
            float got = pv.data()[index.get(i).asInt()];
            assertTrue(
                    Math.abs(want - got) <= tolerance,
                    caseName + " " + imageName + " value " + index.get(i) + ": " + got + " vs " + want);
        }
        double sum = 0;
        double squares = 0;
        for (float f : pv.data()) {
            sum += f;
            squares += (double) f * f;
        }
        double meanTolerance = imageName.equals(LOSSY) ? 0.05 : 1e-9;
        assertEquals(expected.get("sum").asDouble() / pv.data().length, sum / pv.data().length, meanTolerance, "mean");
        assertEquals(
                expected.get("sum_squares").asDouble() / pv.data().length,
                squares / pv.data().length,
                imageName.equals(LOSSY) ? 0.05 : 1e-9,
                "mean square");
    }

    @Test
    void fullPixelValuesOfSmallCasesAreEqual() throws IOException {
        Map<String, float[]> full = Fixtures.fullPixels();
        for (String key : List.of("qwen2vl/small.bmp", "qwen2vl_swift/small.bmp", "clip_small/gray.jpg")) {
            String caseName = key.substring(0, key.indexOf('/'));
            String imageName = key.substring(key.indexOf('/') + 1);
            JsonNode c = Fixtures.EXPECTED.get("cases").get(caseName);
            RgbImage image = LOADER.image(MediaRef.image(imageName));
            if (c.has("swift_max_pixels")) {
                image = QwenVlUtils.fetchImage(
                        image,
                        28,
                        c.get("swift_min_pixels").asLong(),
                        c.get("swift_max_pixels").asLong());
            }
            PixelValues pv = ImageProcessors.fromJson(c.get("config").toString(), caseName)
                    .preprocess(List.of(image));
            assertArrayEquals(full.get(key), pv.data(), key);
        }
    }

    @Test
    void videoFromFramesEqualsTransformersVideoProcessor() throws IOException {
        JsonNode v = Fixtures.EXPECTED.get("video");
        List<RgbImage> frames = new ArrayList<>();
        for (JsonNode name : v.get("frames")) {
            frames.add(LOADER.image(new MediaRef("video frame", name.asText(), null)));
        }
        frames = QwenVlUtils.fetchFrames(
                frames,
                28,
                v.get("swift_min_pixels").asLong(),
                v.get("swift_max_pixels").asLong());
        assertEquals(6, frames.size(), "5 frames are padded to an even count");
        Qwen2VlImageProcessor processor =
                (Qwen2VlImageProcessor) ImageProcessors.fromJson(v.get("config").toString(), "video config");
        PixelValues pv = processor.preprocessVideos(List.of(frames));
        assertArrayEquals(longs(v.get("shape")), pv.shape());
        assertArrayEquals(ints(v.get("grid_thw")), pv.gridThw()[0]);
        assertEquals(v.get("tokens").asInt(), pv.tokens()[0]);
        assertArrayEquals(Fixtures.fullPixels().get("video/frames"), pv.data());
    }

    @Test
    void videoProcessorOfAModelFolderFallsBackToPreprocessorConfig(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        java.nio.file.Files.writeString(
                dir.resolve("preprocessor_config.json"),
                "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"patch_size\": 14}");
        Qwen2VlImageProcessor fallback = ImageProcessors.videoForModel(dir);
        assertEquals(128 * 28 * 28, fallback.config().minPixels(), "the video processor's default");
        java.nio.file.Files.writeString(
                dir.resolve("video_preprocessor_config.json"),
                Fixtures.EXPECTED.get("video").get("config").toString());
        assertEquals(3136, ImageProcessors.videoForModel(dir).config().minPixels());
    }

    @Test
    void frameSamplingEqualsQwenVlUtils() {
        for (JsonNode s : Fixtures.EXPECTED.get("frame_sampling")) {
            JsonNode o = s.get("options");
            Map<String, String> env = new HashMap<>();
            if (o.has("fps")) {
                env.put("FPS", o.get("fps").asText());
            }
            if (o.has("max_frames")) {
                env.put("FPS_MAX_FRAMES", o.get("max_frames").asText());
            }
            Integer nframes = o.has("nframes") ? o.get("nframes").asInt() : null;
            int[] got = QwenVlUtils.frameIndices(
                    s.get("total_frames").asInt(),
                    s.get("video_fps").asDouble(),
                    nframes,
                    QwenVlUtils.Settings.fromEnvironment(env));
            assertArrayEquals(ints(s.get("indices")), got, s.toString());
        }
    }

    @Test
    void smartResizeKeepsBoundsAndFactor() {
        assertArrayEquals(new int[] {56, 56}, Qwen2VlImageProcessor.smartResize(48, 64, 28, 3136, 25088));
        int[] hw = Qwen2VlImageProcessor.smartResize(3000, 4000, 28, 3136, 28 * 28 * 1280);
        assertTrue((long) hw[0] * hw[1] <= 28 * 28 * 1280 && hw[0] % 28 == 0 && hw[1] % 28 == 0);
        assertEquals(
                QwenVlUtils.MAX_PIXELS,
                QwenVlUtils.Settings.fromEnvironment(Map.of()).maxPixels());
        assertEquals(
                1280 * 28 * 28,
                QwenVlUtils.Settings.fromEnvironment(Map.of("MAX_PIXELS", "1280*28*28"))
                        .maxPixels());
    }

    static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
