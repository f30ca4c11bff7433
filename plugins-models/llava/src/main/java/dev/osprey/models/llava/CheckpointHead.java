package dev.osprey.models.llava;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Whether a model folder's checkpoint holds a tensor, from the names alone: the keys of
 * {@code model.safetensors.index.json}'s weight map, or of {@code model.safetensors}'s header. transformers 5 ties an
 * LLaVA-style model's output head to its embeddings only when the checkpoint has no head of its own, whatever
 * {@code text_config} says; the family cannot see the checkpoint through the SPI, so it looks at these names.
 */
final class CheckpointHead {

    private static final long MAX_HEADER = 100L << 20;

    private CheckpointHead() {}

    /** @return empty when the folder has no safetensors checkpoint (a model built from its config) */
    static Optional<Boolean> has(Path folder, String tensor) {
        Pattern key = Pattern.compile(Pattern.quote("\"" + tensor + "\"") + "\\s*:");
        try {
            Path index = folder.resolve("model.safetensors.index.json");
            if (Files.isRegularFile(index)) {
                return Optional.of(key.matcher(Files.readString(index)).find());
            }
            Path single = folder.resolve("model.safetensors");
            if (Files.isRegularFile(single)) {
                return Optional.of(key.matcher(header(single)).find());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(folder + ": cannot read the checkpoint's tensor names: " + e, e);
        }
        return Optional.empty();
    }

    /** A safetensors file's JSON header: its length as 8 little-endian bytes, then the JSON. */
    private static String header(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] length = in.readNBytes(8);
            if (length.length < 8) {
                throw new IOException(file + " is too short for a safetensors file");
            }
            long size = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (size < 0 || size > MAX_HEADER) {
                throw new IOException(file + ": a safetensors header of " + size + " bytes");
            }
            return new String(in.readNBytes((int) size), StandardCharsets.UTF_8);
        }
    }
}
