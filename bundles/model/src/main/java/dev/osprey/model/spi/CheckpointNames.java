package dev.osprey.model.spi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.osprey.checkpoint.WeightFiles;

/**
 * What a model folder's checkpoint holds, read from its safetensors headers alone, for a family that decides by the
 * checkpoint where transformers does: transformers 5 ties a multimodal model's output head to its embeddings only
 * when the checkpoint has no head of its own, whatever the config says.
 */
public final class CheckpointNames {

    private CheckpointNames() {}

    /**
     * Whether the checkpoint in {@code folder} holds tensor {@code name}; false when the folder has no safetensors
     * weights (a model built from its config).
     *
     * @throws IllegalArgumentException naming the folder when its checkpoint cannot be read
     */
    public static boolean holds(Path folder, String name) {
        if (!Files.isRegularFile(folder.resolve(WeightFiles.SINGLE_FILE))
                && !Files.isRegularFile(folder.resolve(WeightFiles.INDEX_FILE))) {
            return false;
        }
        try {
            return WeightFiles.open(folder).contains(name);
        } catch (IOException e) {
            throw new IllegalArgumentException(folder + ": cannot read the checkpoint's tensor names: " + e, e);
        }
    }
}
