package dev.osprey.media.impl;

import java.io.ByteArrayInputStream;

import com.drew.imaging.ImageMetadataReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;

import dev.osprey.media.RgbImage;

/**
 * EXIF orientation, applied as PIL's {@code ImageOps.exif_transpose} applies it: the picture is turned
 * and mirrored so that it shows upright, and a picture without (or with unreadable) EXIF is left as it is.
 */
public final class ExifOrientation {

    private ExifOrientation() {}

    /** The EXIF orientation tag (1..8) of an encoded picture; 1 where it has none. */
    public static int read(byte[] encoded) {
        try {
            Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(encoded), encoded.length);
            for (ExifIFD0Directory directory : metadata.getDirectoriesOfType(ExifIFD0Directory.class)) {
                Integer value = directory.getInteger(ExifIFD0Directory.TAG_ORIENTATION);
                if (value != null && value >= 1 && value <= 8) {
                    return value;
                }
            }
        } catch (Exception | LinkageError e) {
            // PIL ignores metadata it cannot parse; so do we (the picture itself may still decode)
        }
        return 1;
    }

    /** The picture as shown upright for orientation {@code tag}: PIL's transpose for each tag. */
    public static RgbImage apply(RgbImage in, int tag) {
        if (tag <= 1 || tag > 8) {
            return in;
        }
        int w = in.width();
        int h = in.height();
        boolean swap = tag >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        byte[] src = in.rgb();
        byte[] dst = new byte[src.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx;
                int sy;
                switch (tag) {
                    case 2 -> {
                        sx = w - 1 - x;
                        sy = y;
                    } // FLIP_LEFT_RIGHT
                    case 3 -> {
                        sx = w - 1 - x;
                        sy = h - 1 - y;
                    } // ROTATE_180
                    case 4 -> {
                        sx = x;
                        sy = h - 1 - y;
                    } // FLIP_TOP_BOTTOM
                    case 5 -> {
                        sx = y;
                        sy = x;
                    } // TRANSPOSE
                    case 6 -> {
                        sx = y;
                        sy = h - 1 - x;
                    } // ROTATE_270: 90° clockwise
                    case 7 -> {
                        sx = w - 1 - y;
                        sy = h - 1 - x;
                    } // TRANSVERSE
                    default -> {
                        sx = w - 1 - y;
                        sy = x;
                    } // 8, ROTATE_90: 90° counter-clockwise
                }
                System.arraycopy(src, (sy * w + sx) * 3, dst, (y * ow + x) * 3, 3);
            }
        }
        return new RgbImage(ow, oh, dst);
    }
}
