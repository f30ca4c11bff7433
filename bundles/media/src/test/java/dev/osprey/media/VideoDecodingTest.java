package dev.osprey.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

import org.jcodec.api.SequenceEncoder;
import org.jcodec.common.Codec;
import org.jcodec.common.Format;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.jcodec.common.model.Rational;
import org.jcodec.scale.ColorUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Video files to frames: an MP4 that JCodec's H.264 encoder writes here decodes back to its frames (lossy, so within
 * a small error), all or only those a sampler picks; an animated GIF written by the JDK decodes exactly, its frame
 * rate from its delays; a folder of frames is read in name order; a file that is no video is named in the error.
 */
class VideoDecodingTest {

    @TempDir
    Path dir;

    /** Frame {@code f}: flat colour blocks that move with f, so that frames differ and H.264 keeps them well. */
    static int rgb(int f, int x, int y) {
        int block = ((x / 8 + y / 8 + f) % 3);
        int[][] colours = {{200, 40, 40}, {40, 180, 60}, {50, 60, 210}};
        int[] c = colours[block];
        return c[0] << 16 | c[1] << 8 | c[2];
    }

    /** Frame {@code f} of the MP4: smooth gradients that shift with f (what a lossy codec keeps well). */
    static int smooth(int f, int x, int y) {
        return (30 + x * 3 + f * 8) << 16 | (40 + y * 4) << 8 | (200 - x * 2 - f * 5);
    }

    /** The RGB picture of frame {@code f} (JCodec keeps samples as value - 128). */
    static Picture picture(int f, int width, int height) {
        Picture picture = Picture.create(width, height, ColorSpace.RGB);
        byte[] data = picture.getPlaneData(0);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int v = smooth(f, x, y);
                int i = (y * width + x) * 3;
                data[i] = (byte) (((v >> 16) & 0xFF) - 128);
                data[i + 1] = (byte) (((v >> 8) & 0xFF) - 128);
                data[i + 2] = (byte) ((v & 0xFF) - 128);
            }
        }
        return picture;
    }

    /**
     * What a decoder should give for frame {@code f} but for the codec's loss: JCodec's encoder converts RGB to
     * full-range YUV without flagging it, so decoders (FFmpeg too) read it as limited range; the expected frame is
     * that conversion and back.
     */
    static RgbImage expected(int f, int width, int height) {
        Picture yuv = Picture.create(width, height, ColorSpace.YUV420J);
        ColorUtil.getTransform(ColorSpace.RGB, ColorSpace.YUV420J).transform(picture(f, width, height), yuv);
        Picture limited = Picture.createPicture(width, height, yuv.getData(), ColorSpace.YUV420);
        Picture rgb = Picture.create(width, height, ColorSpace.RGB);
        ColorUtil.getTransform(ColorSpace.YUV420, ColorSpace.RGB).transform(limited, rgb);
        byte[] out = rgb.getPlaneData(0).clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (out[i] + 128);
        }
        return new RgbImage(width, height, out);
    }

    private Path mp4(int frames, int fps, int width, int height) throws Exception {
        Path file = dir.resolve("clip.mp4");
        try (SeekableByteChannel channel = NIOUtils.writableChannel(new File(file.toString()))) {
            SequenceEncoder encoder = new SequenceEncoder(channel, Rational.R(fps, 1), Format.MOV, Codec.H264, null);
            for (int f = 0; f < frames; f++) {
                encoder.encodeNativeFrame(picture(f, width, height));
            }
            encoder.finish();
        }
        return file;
    }

    private static double meanError(RgbImage frame, int f) {
        long total = 0;
        for (int y = 0; y < frame.height(); y++) {
            for (int x = 0; x < frame.width(); x++) {
                int v = rgb(f, x, y);
                total += Math.abs(frame.sample(x, y, 0) - ((v >> 16) & 0xFF));
                total += Math.abs(frame.sample(x, y, 1) - ((v >> 8) & 0xFF));
                total += Math.abs(frame.sample(x, y, 2) - (v & 0xFF));
            }
        }
        return total / (3.0 * frame.width() * frame.height());
    }

    @Test
    void anH264Mp4DecodesToItsFramesAndASamplerKeepsOnlyThoseItPicks() throws Exception {
        Path file = mp4(12, 6, 48, 32);
        MediaLoader loader = new MediaLoader(dir);
        MediaRef ref = new MediaRef("video", "clip.mp4", "row 1");
        Video all = loader.video(ref, Video.FrameSampler.ALL, 2.0);
        assertFalse(all.frameList());
        assertEquals(12, all.totalFrames());
        assertEquals(6.0, all.fps(), 1e-9);
        assertEquals(12, all.frames().size());
        for (int f = 0; f < 12; f++) {
            RgbImage frame = all.frames().get(f);
            assertEquals(48, frame.width());
            assertEquals(32, frame.height());
            RgbImage want = expected(f, 48, 32);
            double error = 0;
            for (int i = 0; i < want.rgb().length; i++) {
                error += Math.abs((want.rgb()[i] & 0xFF) - (frame.rgb()[i] & 0xFF));
            }
            error /= want.rgb().length;
            assertTrue(error < 5, "frame " + f + " is off by " + error + " on average");
            if (f > 0) {
                assertFalse(Arrays.equals(frame.rgb(), all.frames().get(f - 1).rgb()), "frame " + f + " moved");
            }
        }
        // qwen-vl-utils' sampling at 2 fps of a 2 s video: 4 frames, linspace(0, 11, 4) rounded
        QwenVlUtils.Settings settings = QwenVlUtils.Settings.fromEnvironment(Map.of("FPS", "2"));
        Video sampled = loader.video(ref, settings.sampler(), 2.0);
        assertArrayEquals(new int[] {0, 4, 7, 11}, sampled.frameIndices());
        assertEquals(4 / 12.0 * 6, sampled.sampleFps(), 1e-9);
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(
                    all.frames().get(sampled.frameIndices()[i]).rgb(),
                    sampled.frames().get(i).rgb(),
                    "frame " + i);
        }
        assertTrue(Files.size(file) < 200_000);
    }

    @Test
    void anAnimatedGifDecodesExactlyWithItsFrameRate() throws Exception {
        Path file = dir.resolve("anim.gif");
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (int f = 0; f < 5; f++) {
                BufferedImage image = new BufferedImage(24, 16, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 16; y++) {
                    for (int x = 0; x < 24; x++) {
                        image.setRGB(x, y, rgb(f, x, y));
                    }
                }
                IIOMetadata metadata =
                        writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image), null);
                String format = metadata.getNativeMetadataFormatName();
                IIOMetadataNode root = (IIOMetadataNode) metadata.getAsTree(format);
                IIOMetadataNode control = new IIOMetadataNode("GraphicControlExtension");
                control.setAttribute("disposalMethod", "none");
                control.setAttribute("userInputFlag", "FALSE");
                control.setAttribute("transparentColorFlag", "FALSE");
                control.setAttribute("delayTime", "25"); // 0.25 s: 4 fps
                control.setAttribute("transparentColorIndex", "0");
                root.appendChild(control);
                metadata.setFromTree(format, root);
                writer.writeToSequence(new IIOImage(image, null, metadata), null);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
        Video video = new MediaLoader(dir).video(new MediaRef("video", "anim.gif", null), Video.FrameSampler.ALL, 2.0);
        assertEquals(5, video.totalFrames());
        assertEquals(4.0, video.fps(), 1e-9);
        for (int f = 0; f < 5; f++) {
            assertEquals(0.0, meanError(video.frames().get(f), f), "frame " + f);
        }
    }

    @Test
    void aFolderOfFramesIsReadInNameOrderAsAFrameList() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("frames"));
        for (int f : new int[] {2, 0, 1}) {
            BufferedImage image = new BufferedImage(16, 8, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 16; x++) {
                    image.setRGB(x, y, rgb(f, x, y));
                }
            }
            ImageIO.write(image, "png", folder.resolve("f" + f + ".png").toFile());
        }
        Video video = new MediaLoader(dir).video(new MediaRef("video", "frames", null), Video.FrameSampler.ALL, 2.0);
        assertTrue(video.frameList());
        assertEquals(3, video.frames().size());
        for (int f = 0; f < 3; f++) {
            assertEquals(0.0, meanError(video.frames().get(f), f), "frame " + f);
        }
        // qwen-vl-utils fetches a frame list frame by frame and repeats the last to an even count
        List<RgbImage> fetched = QwenVlUtils.fetchVideo(video, 8, QwenVlUtils.Settings.DEFAULT);
        assertEquals(4, fetched.size());
        assertEquals(2.0, QwenVlUtils.sampleFps(video), 1e-9);
    }

    @Test
    void aFileThatIsNoVideoAndATruncatedOneAreNamed() throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "not a video at all");
        MediaException e = assertThrows(
                MediaException.class,
                () -> new MediaLoader(dir)
                        .video(new MediaRef("video", "notes.txt", "data.jsonl line 4"), Video.FrameSampler.ALL, 2.0));
        assertTrue(
                e.getMessage().startsWith("video 'notes.txt' (data.jsonl line 4): not a supported video format"),
                e.getMessage());
        byte[] whole = Files.readAllBytes(mp4(6, 6, 32, 32));
        Files.write(dir.resolve("cut.mp4"), Arrays.copyOf(whole, whole.length / 3));
        MediaException cut = assertThrows(
                MediaException.class,
                () -> new MediaLoader(dir).video(new MediaRef("video", "cut.mp4", null), Video.FrameSampler.ALL, 2.0));
        assertTrue(cut.getMessage().startsWith("video 'cut.mp4'"), cut.getMessage());
    }

    @Test
    void videoPixelBoundsComeFromMsSwiftsEnvironment() {
        QwenVlUtils.Settings s = QwenVlUtils.Settings.fromEnvironment(
                Map.of("VIDEO_MIN_PIXELS", "256", "VIDEO_MAX_PIXELS", "2048", "VIDEO_TOTAL_PIXELS", "4096"));
        assertEquals(256, s.videoMinPixels());
        // max(min(VIDEO_MAX_PIXELS, TOTAL / frames * 2), int(MIN * 1.05))
        assertEquals(4096 / 6.0 * 2, s.videoFrameMaxPixels(6), 1e-9);
        assertEquals(2048, s.videoFrameMaxPixels(2), 1e-9);
        assertEquals(268, s.videoFrameMaxPixels(100), 1e-9);
        // qwen-vl-utils takes its total's default from VIDEO_MAX_PIXELS
        assertEquals(
                5000,
                QwenVlUtils.Settings.fromEnvironment(Map.of("VIDEO_MAX_PIXELS", "5000"))
                        .videoTotalPixels());
        assertEquals(QwenVlUtils.VIDEO_TOTAL_PIXELS, QwenVlUtils.Settings.DEFAULT.videoTotalPixels());
    }
}
