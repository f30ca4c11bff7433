package dev.osprey.models.gemmavision;

import java.nio.file.Path;
import java.util.List;

import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.media.ImageProcessor;
import dev.osprey.media.ImageProcessors;
import dev.osprey.media.MediaLoader;
import dev.osprey.media.RgbImage;
import dev.osprey.model.spi.MediaProcessor;

/**
 * What the Gemma vision families' prompt steps share: a prompt's image parts loaded, and the folder's image
 * processor ({@code preprocessor_config.json}) made when the first image comes, so a folder without one serves text.
 */
final class ImageParts {

    private final Path folder;
    private final String model;
    private volatile ImageProcessor processor;

    /** @param model the model type, for messages */
    ImageParts(Path folder, String model) {
        this.folder = folder;
        this.model = model;
    }

    /** The prompt's images, in order. */
    List<RgbImage> load(EncodedPrompt prompt, MediaLoader loader) {
        return MediaProcessor.images(prompt, loader, model + " prompts take images only");
    }

    ImageProcessor processor() {
        ImageProcessor p = processor;
        if (p == null) {
            p = ImageProcessors.forModel(folder);
            processor = p;
        }
        return p;
    }

    Path folder() {
        return folder;
    }
}
