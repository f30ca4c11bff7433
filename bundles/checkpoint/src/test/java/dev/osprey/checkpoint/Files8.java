package dev.osprey.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hand-made safetensors files, for headers that Safetensors.write would never produce. */
final class Files8 {

    private Files8() {}

    /** A file with a correct length prefix, {@code json} as the header and {@code data} after it. */
    static Path safetensors(Path file, String json, byte[] data) throws IOException {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        return raw(file, header.length, header, data);
    }

    /** A file whose length prefix says {@code length}, whatever follows. */
    static Path raw(Path file, long length, byte[] header, byte[] data) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(length).put(header).put(data);
        Files.write(file, buf.array());
        return file;
    }

    /** Little-endian floats. */
    static byte[] floats(float... values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buf.putFloat(v);
        }
        return buf.array();
    }
}
