package dev.osprey.media;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** One Hugging Face image processor: pictures in, {@code pixel_values} out. Made by {@link ImageProcessors}. */
@ProviderType
public interface ImageProcessor {

    /** The processor class this one reproduces, e.g. {@code Qwen2VLImageProcessor}. */
    String name();

    /** The {@code pixel_values} of a batch of images, in order. */
    PixelValues preprocess(List<RgbImage> images);

    /** The number of placeholder tokens one image of this size becomes in the prompt. */
    int tokens(int width, int height);
}
