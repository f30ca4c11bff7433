package dev.osprey.export.impl;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A safetensors file assembled from raw little-endian bytes, for the tensor types DJL has no array for (FP8 E4M3)
 * and for files that mix float types (F16 scales beside F32 weights), which {@code Safetensors.write} does not:
 * tensors in name order, the header padded with spaces to a multiple of 8 bytes.
 */
final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private record Entry(String dtype, long[] shape, byte[] data) {}

    private final Map<String, Entry> tensors = new TreeMap<>();

    /** Adds a tensor; {@code data} holds its elements little-endian, row-major. */
    void put(String name, String dtype, long[] shape, byte[] data) {
        long elements = 1;
        for (long d : shape) {
            elements *= d;
        }
        int width = switch (dtype) {
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            case "F8_E4M3", "U8", "I8" -> 1;
            default -> throw new IllegalArgumentException("tensor '" + name + "': dtype " + dtype + " is not written");
        };
        if (elements * width != data.length) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': " + data.length + " bytes for " + elements + " elements of " + dtype);
        }
        if (tensors.put(name, new Entry(dtype, shape.clone(), data)) != null) {
            throw new IllegalArgumentException("tensor '" + name + "' is written twice");
        }
    }

    void putInts(String name, long[] shape, int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        put(name, "I32", shape, b.array());
    }

    void putFloats(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        put(name, "F32", shape, b.array());
    }

    void write(Path file) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long offset = 0;
        for (Map.Entry<String, Entry> e : tensors.entrySet()) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", e.getValue().dtype());
            info.put("shape", e.getValue().shape());
            info.put("data_offsets", new long[] {offset, offset + e.getValue().data().length});
            header.put(e.getKey(), info);
            offset += e.getValue().data().length;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer length =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(length.array());
            out.write(json);
            for (int i = json.length; i < padded; i++) {
                out.write(' ');
            }
            for (Entry e : tensors.values()) {
                out.write(e.data());
            }
        }
    }
}
