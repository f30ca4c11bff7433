package dev.osprey.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;

/**
 * Each test picture decoded here gives the bytes PIL gives ({@code Image.open}, {@code exif_transpose},
 * {@code convert("RGB")}), compared by SHA-256: JPEG (the JDK's libjpeg and libjpeg-turbo agree), the JPEG
 * with EXIF orientation 6, gray and Adobe CMYK JPEGs, PNG with alpha, lossless WebP, GIF, BMP. Lossy WebP
 * is the exception: TwelveMonkeys upsamples chroma otherwise than libwebp, so only its channel means are
 * close (within 1.5 of 255).
 */
class DecodingTest {

    private final MediaLoader loader = new MediaLoader(Fixtures.FOLDER);

    @ParameterizedTest
    @ValueSource(
            strings = {
                "photo.jpg",
                "exif6.jpg",
                "gray.jpg",
                "cmyk.jpg",
                "alpha.png",
                "lossless.webp",
                "palette.gif",
                "small.bmp"
            })
    void decodesAsPil(String name) {
        JsonNode expected = Fixtures.EXPECTED.get("images").get(name);
        RgbImage image = loader.image(MediaRef.image(name));
        assertEquals(expected.get("width").asInt(), image.width());
        assertEquals(expected.get("height").asInt(), image.height());
        assertEquals(expected.get("rgb_sha256").asText(), sha256(image.rgb()), name + " pixels differ from PIL's");
    }

    @Test
    void lossyWebpIsCloseToLibwebp() {
        JsonNode expected = Fixtures.EXPECTED.get("images").get("lossy.webp");
        RgbImage image = loader.image(MediaRef.image("lossy.webp"));
        double[] mean = new double[3];
        for (int i = 0; i < image.rgb().length; i++) {
            mean[i % 3] += image.rgb()[i] & 0xFF;
        }
        for (int c = 0; c < 3; c++) {
            assertEquals(expected.get("rgb_mean").get(c).asDouble(), mean[c] / (image.width() * image.height()), 1.5);
        }
    }

    @Test
    void exifOrientationSixTurnsThePictureUpright() throws IOException {
        // stored 160x120, shown 120x160: the stored picture's bottom-left corner is shown top-left
        RgbImage shown = loader.image(MediaRef.image("exif6.jpg"));
        assertEquals(120, shown.width());
        assertEquals(160, shown.height());
    }

    @Test
    void dataUriFileUrlAndAbsolutePathGiveTheSamePixels(@TempDir Path elsewhere) throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.FOLDER.resolve("photo.jpg"));
        RgbImage relative = loader.image(MediaRef.image("photo.jpg"));
        MediaLoader other = new MediaLoader(elsewhere);
        RgbImage data = other.image(
                MediaRef.image("data:image/jpeg;base64," + Base64.getEncoder().encodeToString(bytes)));
        RgbImage fileUrl = other.image(
                MediaRef.image(Fixtures.FOLDER.resolve("photo.jpg").toUri().toString()));
        RgbImage absolute =
                other.image(MediaRef.image(Fixtures.FOLDER.resolve("photo.jpg").toString()));
        assertArrayEquals(relative.rgb(), data.rgb());
        assertArrayEquals(relative.rgb(), fileUrl.rgb());
        assertArrayEquals(relative.rgb(), absolute.rgb());
    }

    @Test
    void httpDownloadsWithinTheLimitAndRefusesOthers() throws IOException {
        byte[] png = Files.readAllBytes(Fixtures.FOLDER.resolve("alpha.png"));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/alpha.png", exchange -> {
            exchange.sendResponseHeaders(200, png.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(png);
            }
        });
        server.createContext("/missing.png", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            RgbImage downloaded = loader.image(MediaRef.image(base + "/alpha.png"));
            assertArrayEquals(loader.image(MediaRef.image("alpha.png")).rgb(), downloaded.rgb());

            MediaException missing = assertThrows(
                    MediaException.class,
                    () -> loader.image(MediaRef.image(base + "/missing.png").in("row 2")));
            assertEquals("image '" + base + "/missing.png' (row 2): HTTP 404", missing.getMessage());

            MediaLoader small = new MediaLoader(null, new MediaLoader.Limits(1000, Duration.ofSeconds(5), true));
            MediaException tooBig =
                    assertThrows(MediaException.class, () -> small.bytes(MediaRef.image(base + "/alpha.png")));
            assertTrue(tooBig.getMessage().contains("more than the limit of 1000"), tooBig.getMessage());

            MediaLoader offline = new MediaLoader(null, new MediaLoader.Limits(1 << 20, Duration.ofSeconds(5), false));
            MediaException off =
                    assertThrows(MediaException.class, () -> offline.bytes(MediaRef.image(base + "/alpha.png")));
            assertTrue(off.getMessage().endsWith("fetching http(s) URLs is turned off"), off.getMessage());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void errorsNameTheReferenceAndWhatFailed(@TempDir Path folder) throws IOException {
        Files.writeString(folder.resolve("x.webp"), "this is text, not a picture");
        MediaLoader here = new MediaLoader(folder);
        MediaException notImage = assertThrows(
                MediaException.class, () -> here.image(MediaRef.image("x.webp").in("row 3")));
        assertEquals(
                "image 'x.webp' (row 3): not a supported image format (JPEG, PNG, WebP, BMP and GIF are)",
                notImage.getMessage());

        MediaException missing = assertThrows(
                MediaException.class,
                () -> here.image(MediaRef.image("gone.png").in("row 4")));
        assertEquals("image 'gone.png' (row 4): file not found: " + folder.resolve("gone.png"), missing.getMessage());

        Files.write(
                folder.resolve("cut.jpg"),
                java.util.Arrays.copyOf(Files.readAllBytes(Fixtures.FOLDER.resolve("photo.jpg")), 300));
        MediaException truncated = assertThrows(MediaException.class, () -> here.image(MediaRef.image("cut.jpg")));
        assertTrue(
                truncated.getMessage().startsWith("image 'cut.jpg': cannot decode the image"), truncated.getMessage());

        MediaException badData =
                assertThrows(MediaException.class, () -> here.image(MediaRef.image("data:image/png;base64,@@@@")));
        assertTrue(
                badData.getMessage().startsWith("image 'data:image/png;base64,…': data URI is not valid base64"),
                badData.getMessage());
    }

    @Test
    void localFilesOutsideTheAllowedFoldersAreRefused(@TempDir Path folder) throws IOException {
        Path inside = Files.createDirectories(folder.resolve("inside"));
        Files.copy(Fixtures.FOLDER.resolve("small.bmp"), inside.resolve("small.bmp"));
        Files.createSymbolicLink(inside.resolve("escape.png"), Fixtures.FOLDER.resolve("alpha.png"));
        MediaLoader guarded = new MediaLoader(
                inside, new MediaLoader.Limits(1 << 20, Duration.ofSeconds(5), false, java.util.List.of(inside)));
        assertEquals(64, guarded.image(MediaRef.image("small.bmp")).width());
        for (String outside : new String[] {
            "escape.png",
            inside.relativize(Fixtures.FOLDER.resolve("photo.jpg")).toString(),
            Fixtures.FOLDER.resolve("photo.jpg").toUri().toString()
        }) {
            MediaException e = assertThrows(MediaException.class, () -> guarded.bytes(MediaRef.image(outside)));
            assertTrue(e.getMessage().contains("is outside the allowed folders"), e.getMessage());
        }
    }

    @Test
    void processorConfigErrorsNameTheFileAndField() {
        MediaException unknown = assertThrows(
                MediaException.class,
                () -> ImageProcessors.fromJson(
                        "{\"image_processor_type\": \"FooImageProcessor\"}", "m/preprocessor_config.json"));
        assertTrue(unknown.getMessage()
                .startsWith("m/preprocessor_config.json: image processor 'FooImageProcessor' is not supported"));
        MediaException badField = assertThrows(
                MediaException.class,
                () -> ImageProcessors.fromJson(
                        "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"max_pixels\": \"many\"}", "p.json"));
        assertEquals("p.json: field 'max_pixels' must be a whole number, got \"many\"", badField.getMessage());
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
