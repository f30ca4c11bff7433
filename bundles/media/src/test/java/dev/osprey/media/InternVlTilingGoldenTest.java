package dev.osprey.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * InternVL's dynamic tiling, compared with what its two pipelines made of the media fixtures' pictures
 * (tools/make-internvl-media-fixtures.py): transformers 5.12.1's {@code GotOcr2ImageProcessor} as
 * {@code InternVLProcessor} calls it ({@code hf}), and OpenGVLab's own {@code dynamic_preprocess} and
 * {@code build_transform} ({@code chat}), at 448-pixel tiles (up to 12) and 28-pixel tiles (up to 6). Every value is
 * equal in float32.
 */
class InternVlTilingGoldenTest {

    private static final Path FOLDER = Fixtures.FOLDER.resolveSibling("internvl-fixtures");
    private static final JsonNode EXPECTED = read();
    private static final MediaLoader LOADER = new MediaLoader(Fixtures.FOLDER);

    private static JsonNode read() {
        try {
            return new ObjectMapper().readTree(FOLDER.resolve("expected.json").toFile());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        EXPECTED.get("cases")
                .fields()
                .forEachRemaining(c -> c.getValue()
                        .get("images")
                        .fieldNames()
                        .forEachRemaining(image -> all.add(Arguments.of(c.getKey(), image))));
        return all.stream();
    }

    private static ImageProcessor processor(String caseName) {
        JsonNode c = EXPECTED.get("cases").get(caseName);
        if (c.has("config")) {
            return ImageProcessors.fromJson(c.get("config").toString(), caseName);
        }
        return GotOcr2ImageProcessor.internVlChat(
                c.get("image_size").asInt(),
                c.get("min_num").asInt(),
                c.get("max_num").asInt(),
                256);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void pixelValuesEqualInternVlsOwn(String caseName, String imageName) throws IOException {
        JsonNode expected = EXPECTED.get("cases").get(caseName).get("images").get(imageName);
        ImageProcessor processor = processor(caseName);
        RgbImage image = LOADER.image(MediaRef.image(imageName));
        PixelValues pv = processor.preprocess(List.of(image));

        assertArrayEquals(longs(expected.get("shape")), pv.shape(), "shape");
        int tiles = expected.get("tiles").asInt();
        assertEquals(tiles * 256, pv.tokens()[0], "tokens: 256 per tile");
        assertEquals(pv.tokens()[0], processor.tokens(image.width(), image.height()));
        JsonNode index = expected.get("sample_index");
        JsonNode value = expected.get("sample_value");
        for (int i = 0; i < index.size(); i++) {
            float want = (float) value.get(i).asDouble();
            float got = pv.data()[index.get(i).asInt()];
            assertEquals(want, got, caseName + " " + imageName + " value " + index.get(i));
        }
        double sum = 0;
        double squares = 0;
        for (float f : pv.data()) {
            sum += f;
            squares += (double) f * f;
        }
        assertEquals(expected.get("sum").asDouble() / pv.data().length, sum / pv.data().length, 1e-9, "mean");
        assertEquals(
                expected.get("sum_squares").asDouble() / pv.data().length,
                squares / pv.data().length,
                1e-9,
                "mean square");
    }

    @Test
    void fullPixelValuesOfTheSmallCasesAreEqual() throws IOException {
        Map<String, float[]> full = Fixtures.fullPixels(FOLDER);
        for (String key : List.of("hf_small/small.bmp", "chat_small/small.bmp")) {
            String caseName = key.substring(0, key.indexOf('/'));
            RgbImage image = LOADER.image(MediaRef.image(key.substring(key.indexOf('/') + 1)));
            assertArrayEquals(
                    full.get(key),
                    processor(caseName).preprocess(List.of(image)).data(),
                    key);
        }
    }

    @Test
    void theGridIsTheClosestAspectRatioWithinTheTileCounts() {
        GotOcr2ImageProcessor p = GotOcr2ImageProcessor.internVlChat(448, 1, 12, 256);
        assertArrayEquals(new int[] {2, 1}, p.grid(800, 400)); // 2:1
        assertArrayEquals(new int[] {1, 3}, p.grid(300, 900)); // 1:3
        // a square picture larger than half of 3 x 3 tiles takes the largest square grid within 12 tiles
        assertArrayEquals(new int[] {3, 3}, p.grid(2000, 2000));
        assertArrayEquals(new int[] {1, 1}, p.grid(200, 200));
        assertEquals(3 * 256, p.tokens(800, 400), "2 x 1 tiles and the thumbnail");
    }

    private static long[] longs(JsonNode node) {
        long[] v = new long[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = node.get(i).asLong();
        }
        return v;
    }
}
