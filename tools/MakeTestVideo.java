import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

import org.jcodec.api.SequenceEncoder;
import org.jcodec.common.Codec;
import org.jcodec.common.Format;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.jcodec.common.model.Rational;

import dev.osprey.media.MediaRef;
import dev.osprey.media.RgbImage;
import dev.osprey.media.Video;
import dev.osprey.media.VideoDecoder;

/**
 * Writes the small test video the media and Qwen-VL tests decode: 20 frames of 80x64 at 10 fps (2 s), H.264 in MP4
 * by JCodec's encoder, a ball crossing a gradient whose colours change with time, so that every frame differs; then
 * decodes it with Osprey's {@code VideoDecoder} and writes every frame as a PNG beside it ({@code OUT-frames/}), which
 * the transformers fixtures read as the decoded video (tools/make-qwen-vl-video-fixtures.py).
 *
 * <pre>
 * java -cp JCODEC_JAR:bundles/media/target/classes tools/MakeTestVideo.java OUT.mp4
 * </pre>
 */
public class MakeTestVideo {

    static final int WIDTH = 80;
    static final int HEIGHT = 64;
    static final int FRAMES = 20;
    static final int FPS = 10;

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "test-video.mp4");
        Files.createDirectories(out.toAbsolutePath().getParent());
        try (SeekableByteChannel channel = NIOUtils.writableChannel(new File(out.toString()))) {
            SequenceEncoder encoder =
                    new SequenceEncoder(channel, Rational.R(FPS, 1), Format.MOV, Codec.H264, null);
            for (int f = 0; f < FRAMES; f++) {
                encoder.encodeNativeFrame(frame(f));
            }
            encoder.finish();
        }
        System.out.println(out + ": " + Files.size(out) + " bytes");
        Video video = VideoDecoder.decode(Files.readAllBytes(out), new MediaRef("video", out.toString(), null), Video.FrameSampler.ALL);
        String name = out.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        Path frames = out.resolveSibling(name + "-frames");
        Files.createDirectories(frames);
        for (int f = 0; f < video.frames().size(); f++) {
            RgbImage frame = video.frames().get(f);
            BufferedImage image = new BufferedImage(frame.width(), frame.height(), BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < frame.height(); y++) {
                for (int x = 0; x < frame.width(); x++) {
                    image.setRGB(x, y, frame.sample(x, y, 0) << 16 | frame.sample(x, y, 1) << 8 | frame.sample(x, y, 2));
                }
            }
            ImageIO.write(image, "png", frames.resolve(String.format("%03d.png", f)).toFile());
        }
        System.out.println(frames + ": " + video.frames().size() + " frames at " + video.fps() + " fps");
    }

    /** Frame {@code f} as RGB (JCodec keeps samples as value - 128). */
    static Picture frame(int f) {
        Picture picture = Picture.create(WIDTH, HEIGHT, ColorSpace.RGB);
        byte[] rgb = picture.getPlaneData(0);
        double cx = 8 + f * (WIDTH - 16) / (double) (FRAMES - 1);
        double cy = HEIGHT / 2.0 + 16 * Math.sin(f * Math.PI / 5);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                int r = 40 + x * 2;
                int g = 30 + y * 3;
                int b = 60 + f * 9;
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < 81) {
                    r = 250;
                    g = 220 - f * 8;
                    b = 20;
                }
                int i = (y * WIDTH + x) * 3;
                rgb[i] = (byte) (Math.min(r, 255) - 128);
                rgb[i + 1] = (byte) (Math.min(g, 255) - 128);
                rgb[i + 2] = (byte) (Math.min(b, 255) - 128);
            }
        }
        return picture;
    }
}
