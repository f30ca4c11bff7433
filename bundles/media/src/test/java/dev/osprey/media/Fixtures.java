package dev.osprey.media;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The committed outputs of tools/make-media-fixtures.py: expected.json and pixels.safetensors (F32 only). */
final class Fixtures {

    static final Path FOLDER = folder();
    static final JsonNode EXPECTED = read();

    private Fixtures() {}

    private static Path folder() {
        try {
            return Path.of(Fixtures.class
                            .getResource("/media-fixtures/expected.json")
                            .toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode read() {
        try {
            return new ObjectMapper().readTree(FOLDER.resolve("expected.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The F32 tensors of pixels.safetensors by name. */
    static Map<String, float[]> fullPixels() throws IOException {
        return fullPixels(FOLDER);
    }

    /** The F32 tensors of another safetensors file of the folder by name. */
    static Map<String, float[]> fullPixels(String file) throws IOException {
        return safetensors(FOLDER.resolve(file));
    }

    /** The F32 tensors of {@code folder}'s pixels.safetensors by name. */
    static Map<String, float[]> fullPixels(Path folder) throws IOException {
        return safetensors(folder.resolve("pixels.safetensors"));
    }

    private static Map<String, float[]> safetensors(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) buffer.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
        Map<String, float[]> tensors = new HashMap<>();
        header.fields().forEachRemaining(e -> {
            if (e.getKey().equals("__metadata__")) {
                return;
            }
            if (!e.getValue().get("dtype").asText().equals("F32")) {
                throw new IllegalStateException(e.getKey() + " is not F32");
            }
            int begin = e.getValue().get("data_offsets").get(0).asInt();
            int end = e.getValue().get("data_offsets").get(1).asInt();
            float[] values = new float[(end - begin) / 4];
            for (int i = 0; i < values.length; i++) {
                values[i] = buffer.getFloat(8 + headerLength + begin + 4 * i);
            }
            tensors.put(e.getKey(), values);
        });
        return tensors;
    }
}
