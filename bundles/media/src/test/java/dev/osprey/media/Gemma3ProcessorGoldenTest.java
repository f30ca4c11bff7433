package dev.osprey.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Gemma3ImageProcessor (with and without pan-and-scan) and the prompts of Gemma3Processor and PaliGemmaProcessor,
 * compared with what transformers 5.12.1 made of the media fixtures' pictures (tools/make-gemma3-media-fixtures.py):
 * every value equal in float32, the crops and the prompt text equal.
 */
class Gemma3ProcessorGoldenTest {

    private static final MediaLoader LOADER = new MediaLoader(Fixtures.FOLDER);
    private static final JsonNode EXPECTED = read();

    private static JsonNode read() {
        try {
            return new ObjectMapper()
                    .readTree(Fixtures.FOLDER.resolve("gemma3.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void pixelValuesAndCropsEqualTransformers(String caseName, String imageName) throws IOException {
        JsonNode c = EXPECTED.get("cases").get(caseName);
        JsonNode expected = c.get("images").get(imageName);
        ImageProcessor processor = ImageProcessors.fromJson(c.get("config").toString(), caseName);
        assertEquals(c.get("processor").asText().replaceAll(".*\\.", ""), processor.name());
        Gemma3ImageProcessor gemma3 = assertInstanceOf(Gemma3ImageProcessor.class, processor);

        Gemma3ImageProcessor.Processed out = gemma3.process(List.of(LOADER.image(MediaRef.image(imageName))));
        PixelValues pv = out.pixels();
        assertArrayEquals(ProcessorGoldenTest.ints(expected.get("num_crops")), out.numCrops(), "num_crops");
        assertArrayEquals(ProcessorGoldenTest.longs(expected.get("shape")), pv.shape(), "shape");
        assertEquals(256 * (1 + out.numCrops()[0]), pv.totalTokens(), "image_seq_length per image and crop");
        JsonNode index = expected.get("sample_index");
        JsonNode value = expected.get("sample_value");
        for (int i = 0; i < index.size(); i++) {
            assertEquals(
                    (float) value.get(i).asDouble(),
                    pv.data()[index.get(i).asInt()],
                    0f,
                    caseName + " " + imageName + " value " + index.get(i));
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
    void fullPixelValuesOfAnImageAndItsCropsAreEqual() throws IOException {
        JsonNode c = EXPECTED.get("cases").get("gemma3_pan_and_scan");
        float[] expected = Fixtures.fullPixels("gemma3-pixels.safetensors").get("gemma3_pan_and_scan/photo.jpg");
        PixelValues pv = ImageProcessors.fromJson(c.get("config").toString(), "pan and scan")
                .preprocess(List.of(LOADER.image(MediaRef.image("photo.jpg"))));
        assertArrayEquals(expected, pv.data());
    }

    /**
     * The pan-and-scan case's config with pan-and-scan off and Gemma3Processor's default crop size, turned on by the
     * environment as a processor call's keyword arguments turn it on, gives transformers' pixels of the image and its
     * crops; DO_PAN_AND_SCAN=false turns the config's pan-and-scan off; a bad value names its variable.
     */
    @Test
    void theEnvironmentTurnsPanAndScanOnAndOffOverTheConfig() throws IOException {
        ObjectNode off = (ObjectNode)
                EXPECTED.get("cases").get("gemma3_pan_and_scan").get("config").deepCopy();
        off.put("do_pan_and_scan", false);
        off.remove("pan_and_scan_min_crop_size");
        Gemma3ImageProcessor config = (Gemma3ImageProcessor) ImageProcessors.fromJson(off.toString(), "off");
        List<RgbImage> photo = List.of(LOADER.image(MediaRef.image("photo.jpg")));
        assertArrayEquals(new int[] {0}, config.process(photo).numCrops(), "the config leaves pan-and-scan off");

        Gemma3ImageProcessor on = config.withEnvironment(
                Map.of("DO_PAN_AND_SCAN", "true", "PAN_AND_SCAN_MIN_CROP_SIZE", "32", "UNRELATED", "x"));
        Gemma3ImageProcessor.Processed out = on.process(photo);
        assertArrayEquals(new int[] {2}, out.numCrops());
        assertArrayEquals(
                Fixtures.fullPixels("gemma3-pixels.safetensors").get("gemma3_pan_and_scan/photo.jpg"),
                out.pixels().data());
        assertEquals(
                false,
                on.withEnvironment(Map.of("DO_PAN_AND_SCAN", "0")).config().panAndScan());
        assertEquals(config, config.withEnvironment(Map.of()), "no variables, the same processor");

        for (Map.Entry<String, String> bad : Map.of(
                        "DO_PAN_AND_SCAN", "yes",
                        "PAN_AND_SCAN_MIN_CROP_SIZE", "0",
                        "PAN_AND_SCAN_MAX_NUM_CROPS", "1",
                        "PAN_AND_SCAN_MIN_RATIO_TO_ACTIVATE", "wide")
                .entrySet()) {
            MediaException e = assertThrows(
                    MediaException.class, () -> config.withEnvironment(Map.of(bad.getKey(), bad.getValue())));
            assertTrue(e.getMessage().contains(bad.getKey() + "=" + bad.getValue()), e.getMessage());
        }
    }

    @Test
    void promptsAreGemma3ProcessorsText() {
        for (JsonNode p : EXPECTED.get("prompts")) {
            assertEquals(
                    p.get("expanded").asText(),
                    Gemma3ImageProcessor.expandPrompt(
                            p.get("prompt").asText(),
                            ProcessorGoldenTest.ints(p.get("num_crops")),
                            p.get("image_seq_length").asInt()),
                    p.toString());
        }
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Gemma3ImageProcessor.expandPrompt("one <start_of_image>", new int[] {0, 0}, 256));
        assertTrue(e.getMessage().contains("1 <start_of_image> but 2 images"), e.getMessage());
    }

    @Test
    void promptsArePaliGemmaProcessorsText() {
        for (JsonNode p : EXPECTED.get("paligemma_prompts")) {
            PaliGemmaPrompt prompt = PaliGemmaPrompt.of(
                    p.get("prompt").asText(),
                    p.get("images").asInt(),
                    p.get("image_seq_length").asInt(),
                    p.get("bos").asText(),
                    p.get("suffix").isNull() ? null : p.get("suffix").asText(),
                    p.get("eos").asText());
            assertEquals(p.get("prefix").asText(), prompt.prefix(), p.toString());
            assertEquals(p.get("pair").isNull() ? null : p.get("pair").asText(), prompt.suffix(), p.toString());
        }
    }

    @Test
    void theReleasedConfigReadsAsGemma3sProcessor() {
        Gemma3ImageProcessor p = (Gemma3ImageProcessor) ImageProcessors.fromJson(
                EXPECTED.get("cases").get("gemma3").get("config").toString(), "gemma3");
        assertEquals(896, p.config().siglip().height());
        assertEquals(Interpolation.TORCH_BILINEAR, p.config().siglip().resample());
        assertEquals(256, p.tokens(640, 480));
        assertEquals(false, p.config().panAndScan());
        MediaException e = assertThrows(
                MediaException.class,
                () -> ImageProcessors.fromJson(
                        "{\"image_processor_type\": \"Gemma3ImageProcessorFast\", \"size\": {\"shortest_edge\": 9}}",
                        "bad.json"));
        assertTrue(e.getMessage().contains("bad.json") && e.getMessage().contains("size"), e.getMessage());
    }
}
