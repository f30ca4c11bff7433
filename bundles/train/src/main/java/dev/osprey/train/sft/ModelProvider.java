package dev.osprey.train.sft;

import java.io.IOException;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.spi.MediaProcessor;

/**
 * Where a training job gets its model and named chat templates: on the platform, from the installed
 * architecture and template plugins and the hub; in a plain program, from explicit architectures. The
 * provider keeps whatever it acquired (extension handles) until it is closed, since the model's classes
 * come from its architecture's bundle.
 */
public interface ModelProvider extends AutoCloseable {

    /** Finds (or downloads) and loads the model {@code args} names, in {@code --torch_dtype}. */
    HfModel load(SftArguments args, NDManager manager) throws IOException;

    /** How {@code model} (loaded by this provider) encodes conversations: its template by the platform's one precedence. */
    PromptEncoder prompts(HfModel model);

    /** The media step of {@code model}'s family (images in training rows), or null for a text model. */
    default MediaProcessor media(HfModel model) {
        return null;
    }

    @Override
    void close();
}
