package dev.osprey.media;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

import dev.osprey.media.impl.ExifOrientation;
import dev.osprey.media.impl.ImageReaders;
import dev.osprey.media.impl.RgbConversion;

/**
 * Decodes JPEG, PNG, WebP, BMP and GIF (the first frame) into 8-bit RGB as transformers and ms-swift see a
 * picture: PIL's {@code Image.open}, {@code ImageOps.exif_transpose}, {@code convert("RGB")} (alpha dropped,
 * gray repeated, palette mapped, CMYK by PIL's formula).
 */
public final class ImageDecoder {

    private ImageDecoder() {}

    public static RgbImage decode(byte[] encoded, MediaRef ref) {
        if (encoded.length == 0) {
            throw ref.error("the file is empty");
        }
        RgbImage image;
        try (ImageInputStream stream = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            ImageReader reader = ImageReaders.readerFor(stream);
            if (reader == null) {
                throw ref.error("not a supported image format (JPEG, PNG, WebP, BMP and GIF are)");
            }
            try {
                image = read(reader, adobe(encoded));
            } finally {
                reader.dispose();
            }
        } catch (MediaException e) {
            throw e;
        } catch (EOFException e) {
            throw ref.error("the image data ends too early (a truncated file, or not an image)", e);
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw ref.error("cannot decode the image: " + why, e);
        }
        return ExifOrientation.apply(image, ExifOrientation.read(encoded));
    }

    private static RgbImage read(ImageReader reader, boolean adobe) throws IOException {
        ImageTypeSpecifier raw = reader.getRawImageType(0);
        if (raw != null
                && raw.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_CMYK
                && reader.canReadRaster()) {
            // PIL converts CMYK without a colour profile; read the samples and do as it does. Adobe's
            // JPEGs (an APP14 "Adobe" segment: Photoshop's, and PIL's own) store CMYK inverted
            return RgbConversion.fromCmyk(reader.readRaster(0, null), adobe);
        }
        BufferedImage decoded = reader.read(0);
        return RgbConversion.of(decoded);
    }

    /** Whether a JPEG has an APP14 "Adobe" segment before its scan data. */
    static boolean adobe(byte[] jpeg) {
        if (jpeg.length < 4 || (jpeg[0] & 0xFF) != 0xFF || (jpeg[1] & 0xFF) != 0xD8) {
            return false;
        }
        int i = 2;
        while (i + 4 <= jpeg.length && (jpeg[i] & 0xFF) == 0xFF) {
            int marker = jpeg[i + 1] & 0xFF;
            if (marker == 0xDA || marker == 0xD9) {
                return false; // start of scan or end of image
            }
            int length = ((jpeg[i + 2] & 0xFF) << 8) | (jpeg[i + 3] & 0xFF);
            if (marker == 0xEE
                    && length >= 7
                    && i + 9 <= jpeg.length
                    && new String(jpeg, i + 4, 5, java.nio.charset.StandardCharsets.US_ASCII).equals("Adobe")) {
                return true;
            }
            i += 2 + length;
        }
        return false;
    }
}
