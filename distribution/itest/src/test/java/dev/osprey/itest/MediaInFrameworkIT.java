package dev.osprey.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.List;
import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;

import dev.osprey.media.ImageProcessors;
import dev.osprey.media.MediaException;
import dev.osprey.media.MediaLoader;
import dev.osprey.media.MediaRef;
import dev.osprey.media.PixelValues;
import dev.osprey.media.QwenVlUtils;
import dev.osprey.media.RgbImage;
import dev.osprey.media.Video;

/**
 * The media bundle inside Felix: ImageIO's service lookup does not see plugins of another bundle, so this
 * proves the bundle's own TwelveMonkeys readers decode a WebP and a (CMYK) JPEG there, and the EXIF
 * orientation reader works from its embedded jar; the pixels are PIL's, as in the bundle's unit tests.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MediaInFrameworkIT {

    private static final String FIXTURES = "bundles/media/src/test/resources/media-fixtures";

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        return TestPlatform.platform(
                TestPlatform.newPluginsDir(), TestPlatform.freePort()); // the media bundle is in it
    }

    @Test
    public void decodesWebpAndJpegThroughTheBundle() {
        Bundle media = FrameworkUtil.getBundle(MediaLoader.class);
        assertNotNull("dev.osprey.media is not loaded from a bundle", media);
        assertEquals("dev.osprey.media", media.getSymbolicName());
        assertEquals(Bundle.ACTIVE, media.getState());

        Path fixtures = TestPlatform.root().resolve(FIXTURES);
        MediaLoader loader = new MediaLoader(fixtures);
        RgbImage webp = loader.image(MediaRef.image("lossless.webp"));
        assertEquals(200, webp.width());
        assertEquals(150, webp.height());
        assertEquals(expectedSha("lossless.webp"), sha256(webp.rgb()));
        RgbImage lossy = loader.image(MediaRef.image("lossy.webp"));
        assertEquals(200, lossy.width());
        assertEquals(150, lossy.height());

        RgbImage rotated = loader.image(MediaRef.image("exif6.jpg"));
        assertEquals(120, rotated.width());
        assertEquals(160, rotated.height());
        assertEquals(expectedSha("exif6.jpg"), sha256(rotated.rgb()));
        assertEquals(
                expectedSha("cmyk.jpg"),
                sha256(loader.image(MediaRef.image("cmyk.jpg")).rgb()));

        PixelValues pv = ImageProcessors.fromJson(
                        "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"min_pixels\": 3136, \"max_pixels\": 50176}",
                        "test config")
                .preprocess(List.of(webp));
        assertEquals(1176, pv.shape()[1]);
        assertEquals(35, pv.tokens()[0]);

        try {
            loader.image(MediaRef.image("expected.json").in("row 3"));
            throw new AssertionError("a JSON file decoded as an image");
        } catch (MediaException e) {
            assertTrue(
                    e.getMessage(),
                    e.getMessage().startsWith("image 'expected.json' (row 3): not a supported image format"));
        }
    }

    /** JCodec, embedded in the media bundle, decodes the Qwen-VL video fixture's MP4 inside Felix. */
    @Test
    public void decodesAnMp4ThroughTheBundle() {
        Path fixture = TestPlatform.root().resolve("plugins-models/qwen-vl/src/test/resources/reference/qwen-vl-video");
        MediaLoader loader = new MediaLoader(fixture);
        Video video = loader.video(
                new MediaRef("video", "clip.mp4", "row 1"),
                QwenVlUtils.Settings.fromEnvironment(java.util.Map.of("FPS", "3"))
                        .sampler(),
                QwenVlUtils.FPS);
        assertEquals(20, video.totalFrames());
        assertEquals(10.0, video.fps(), 1e-9);
        assertEquals(
                List.of(0, 4, 8, 11, 15, 19),
                java.util.Arrays.stream(video.frameIndices()).boxed().toList());
        for (int i = 0; i < video.frames().size(); i++) {
            RgbImage png = loader.image(MediaRef.image(String.format("clip-frames/%03d.png", video.frameIndices()[i])));
            assertEquals(
                    "frame " + i,
                    sha256(png.rgb()),
                    sha256(video.frames().get(i).rgb()));
        }
    }

    private static String expectedSha(String image) {
        try {
            com.fasterxml.jackson.databind.JsonNode expected = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(TestPlatform.root()
                            .resolve(FIXTURES)
                            .resolve("expected.json")
                            .toFile());
            return expected.get("images").get(image).get("rgb_sha256").asText();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(
                            java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
