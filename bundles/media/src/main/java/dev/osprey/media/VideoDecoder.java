package dev.osprey.media;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

import org.jcodec.api.FrameGrab;
import org.jcodec.api.JCodecException;
import org.jcodec.common.DemuxerTrackMeta;
import org.jcodec.common.io.ByteBufferSeekableByteChannel;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.jcodec.scale.ColorUtil;
import org.jcodec.scale.Transform;
import org.w3c.dom.Node;

import dev.osprey.media.impl.RgbConversion;

/**
 * Decodes a video file into the frames a {@link Video.FrameSampler} picks: MP4 and MOV with H.264 through JCodec
 * (pure Java; baseline and main profile, no B-frame-heavy high-profile streams), frames converted to RGB with
 * JCodec's BT.601 integer transform; and animated GIF through the JDK's reader, frames composited on the logical
 * screen as a browser shows them, the frame rate from their delays. Only the frames kept are converted to RGB, so a
 * long video costs the memory of its samples, not of all its frames.
 */
public final class VideoDecoder {

    /** A GIF frame without a delay is shown for 0.1 s, as browsers and FFmpeg's GIF demuxer do. */
    private static final int DEFAULT_GIF_DELAY_CS = 10;

    private VideoDecoder() {}

    /**
     * @throws MediaException naming {@code ref} when the bytes are not a supported video or cannot be decoded
     */
    public static Video decode(byte[] encoded, MediaRef ref, Video.FrameSampler sampler) {
        if (encoded.length == 0) {
            throw ref.error("the file is empty");
        }
        try {
            if (isGif(encoded)) {
                return gif(encoded, ref, sampler);
            }
            if (isMp4(encoded)) {
                return mp4(encoded, ref, sampler);
            }
        } catch (MediaException e) {
            throw e;
        } catch (IOException | JCodecException | RuntimeException e) {
            String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw ref.error("cannot decode the video: " + why, e);
        }
        throw ref.error("not a supported video format (MP4 or MOV with H.264, and animated GIF are; a folder of"
                + " frames or a list of frame images works too)");
    }

    static boolean isMp4(byte[] b) {
        if (b.length < 12) {
            return false;
        }
        String box = new String(b, 4, 4, StandardCharsets.US_ASCII);
        return box.equals("ftyp") || box.equals("moov") || box.equals("mdat") || box.equals("wide");
    }

    static boolean isGif(byte[] b) {
        return b.length >= 6 && new String(b, 0, 6, StandardCharsets.US_ASCII).matches("GIF8[79]a");
    }

    private static Video mp4(byte[] encoded, MediaRef ref, Video.FrameSampler sampler)
            throws IOException, JCodecException {
        FrameGrab grab =
                FrameGrab.createFrameGrab(ByteBufferSeekableByteChannel.readFromByteBuffer(ByteBuffer.wrap(encoded)));
        if (grab.getVideoTrack() == null) {
            throw ref.error("the file has no video track");
        }
        DemuxerTrackMeta meta = grab.getVideoTrack().getMeta();
        int total = meta.getTotalFrames();
        if (total <= 0 || !(meta.getTotalDuration() > 0)) {
            throw ref.error("the video track has no frames");
        }
        double fps = total / meta.getTotalDuration();
        int[] wanted = checked(sampler.indices(total, fps), total, ref);
        List<RgbImage> frames = new ArrayList<>();
        Transform toRgb = null;
        RgbImage current = null;
        int decoded = -1;
        for (int index : wanted) {
            while (decoded < index) { // frames in display order, one after another
                Picture picture = grab.getNativeFrame();
                if (picture == null) {
                    throw ref.error(
                            "the video ends at frame " + (decoded + 1) + " of the " + total + " its index lists");
                }
                decoded++;
                if (decoded == index) {
                    if (toRgb == null) {
                        toRgb = ColorUtil.getTransform(picture.getColor(), ColorSpace.RGB);
                        if (toRgb == null) {
                            throw ref.error("frames in " + picture.getColor() + " cannot be converted to RGB");
                        }
                    }
                    current = rgb(picture, toRgb);
                }
            }
            frames.add(current);
        }
        return new Video(frames, wanted, total, fps, false);
    }

    /** A decoded picture as 8-bit RGB, cropped to its display size. */
    private static RgbImage rgb(Picture picture, Transform toRgb) {
        Picture rgb = Picture.create(picture.getWidth(), picture.getHeight(), ColorSpace.RGB);
        toRgb.transform(picture, rgb);
        byte[] data = rgb.getPlaneData(0); // interleaved R, G, B; JCodec keeps samples as value - 128
        int x0 = picture.getCrop() == null ? 0 : picture.getCrop().getX();
        int y0 = picture.getCrop() == null ? 0 : picture.getCrop().getY();
        int width = picture.getCroppedWidth();
        int height = picture.getCroppedHeight();
        byte[] out = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            int from = ((y0 + y) * picture.getWidth() + x0) * 3;
            for (int i = 0; i < width * 3; i++) {
                out[y * width * 3 + i] = (byte) (data[from + i] + 128);
            }
        }
        return new RgbImage(width, height, out);
    }

    private static Video gif(byte[] encoded, MediaRef ref, Video.FrameSampler sampler) throws IOException {
        try (ImageInputStream stream = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
            try {
                reader.setInput(stream, false, false);
                int total = reader.getNumImages(true);
                if (total <= 0) {
                    throw ref.error("the GIF has no frames");
                }
                int[] screen = screenSize(reader);
                BufferedImage canvas = new BufferedImage(screen[0], screen[1], BufferedImage.TYPE_INT_ARGB);
                List<RgbImage> all = new ArrayList<>();
                long delays = 0;
                for (int i = 0; i < total; i++) {
                    Frame frame = frame(reader.getImageMetadata(i));
                    delays += frame.delayCs() > 0 ? frame.delayCs() : DEFAULT_GIF_DELAY_CS;
                    BufferedImage before = frame.disposal().equals("restoreToPrevious") ? copy(canvas) : null;
                    Graphics2D g = canvas.createGraphics();
                    g.drawImage(reader.read(i), frame.left(), frame.top(), null);
                    g.dispose();
                    all.add(RgbConversion.of(canvas));
                    if (frame.disposal().equals("restoreToBackgroundColor")) {
                        Graphics2D clear = canvas.createGraphics();
                        clear.setComposite(AlphaComposite.Clear);
                        clear.fillRect(frame.left(), frame.top(), frame.width(), frame.height());
                        clear.dispose();
                    } else if (before != null) {
                        canvas = before;
                    }
                }
                double fps = total / (delays / 100.0);
                int[] wanted = checked(sampler.indices(total, fps), total, ref);
                List<RgbImage> frames = new ArrayList<>();
                for (int index : wanted) {
                    frames.add(all.get(index));
                }
                return new Video(frames, wanted, total, fps, false);
            } finally {
                reader.dispose();
            }
        }
    }

    private record Frame(int left, int top, int width, int height, int delayCs, String disposal) {}

    private static Frame frame(IIOMetadata metadata) {
        Node root = metadata.getAsTree("javax_imageio_gif_image_1.0");
        int left = 0;
        int top = 0;
        int width = 0;
        int height = 0;
        int delay = 0;
        String disposal = "none";
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeName().equals("ImageDescriptor")) {
                left = attribute(n, "imageLeftPosition");
                top = attribute(n, "imageTopPosition");
                width = attribute(n, "imageWidth");
                height = attribute(n, "imageHeight");
            } else if (n.getNodeName().equals("GraphicControlExtension")) {
                delay = attribute(n, "delayTime");
                disposal = n.getAttributes().getNamedItem("disposalMethod").getNodeValue();
            }
        }
        return new Frame(left, top, width, height, delay, disposal);
    }

    private static int[] screenSize(ImageReader reader) throws IOException {
        IIOMetadata stream = reader.getStreamMetadata();
        if (stream != null) {
            Node root = stream.getAsTree("javax_imageio_gif_stream_1.0");
            for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n.getNodeName().equals("LogicalScreenDescriptor")) {
                    int w = attribute(n, "logicalScreenWidth");
                    int h = attribute(n, "logicalScreenHeight");
                    if (w > 0 && h > 0) {
                        return new int[] {w, h};
                    }
                }
            }
        }
        return new int[] {reader.getWidth(0), reader.getHeight(0)};
    }

    private static int attribute(Node node, String name) {
        Node a = node.getAttributes().getNamedItem(name);
        return a == null ? 0 : Integer.parseInt(a.getNodeValue());
    }

    private static BufferedImage copy(BufferedImage image) {
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(image, 0, 0, null);
        g.dispose();
        return out;
    }

    private static int[] checked(int[] indices, int total, MediaRef ref) {
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= total || (i > 0 && indices[i] < indices[i - 1])) {
                throw ref.error("frame indices must ascend within the video's " + total + " frames, got "
                        + Arrays.toString(indices));
            }
        }
        if (indices.length == 0) {
            throw ref.error("no frames were sampled from its " + total);
        }
        return indices;
    }
}
