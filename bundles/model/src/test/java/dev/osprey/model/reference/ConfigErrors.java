package dev.osprey.model.reference;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.checkpoint.HfConfig;

/** A family's config reader refuses a bad config.json with an error that names the field at fault. */
public final class ConfigErrors {

    /** What a family makes of a config: its config record, or its layout. */
    @FunctionalInterface
    public interface Reader {
        Object read(ModelConfig config) throws Exception;
    }

    private ConfigErrors() {}

    /**
     * Writes {@code json} as {@code dir/config.json} and checks that {@code reader} throws an
     * {@link IllegalArgumentException} whose message contains {@code field}.
     */
    public static void assertNamed(Path dir, String field, String json, Reader reader) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        ModelConfig config = HfConfig.read(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.read(config));
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }
}
