package dev.osprey.export.impl;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GGUF container, version 3 (llama.cpp's docs/gguf.md): the header, the metadata key-value pairs, the tensor
 * infos, padding to {@link #ALIGNMENT}, then each tensor's data padded to it. Little-endian throughout. Values are
 * typed by their Java class: {@link String}, {@link Integer} (uint32, as llama.cpp reads counts and ids),
 * {@link Float}, {@link Boolean}, {@link int[]} (int32 array), {@link float[]} (float32 array), {@link List} of
 * strings.
 */
final class GgufWriter {

    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    static final int VERSION = 3;
    /** general.alignment's default; written explicitly too, so readers need not assume it. */
    static final int ALIGNMENT = 32;

    // gguf_type ids of metadata values
    static final int UINT32 = 4;
    static final int INT32 = 5;
    static final int FLOAT32 = 6;
    static final int BOOL = 7;
    static final int STRING = 8;
    static final int ARRAY = 9;

    /** One tensor: its GGUF name, its dimensions in ggml order (innermost first) and its values in row-major order. */
    record Tensor(String name, long[] ne, float[] values, GgufType type) {}

    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();

    GgufWriter put(String key, Object value) {
        metadata.put(key, value);
        return this;
    }

    GgufWriter add(Tensor tensor) {
        long count = 1;
        for (long n : tensor.ne()) {
            count *= n;
        }
        if (count != tensor.values().length) {
            throw new IllegalArgumentException(
                    tensor.name() + ": " + tensor.values().length + " values for dims " + Arrays.toString(tensor.ne()));
        }
        if (tensor.ne()[0] % tensor.type().blockSize != 0) {
            throw new IllegalArgumentException(tensor.name() + ": rows of " + tensor.ne()[0] + " values do not split"
                    + " into " + tensor.type() + " blocks of " + tensor.type().blockSize);
        }
        tensors.add(tensor);
        return this;
    }

    /** Writes the file to {@code out}. */
    void write(OutputStream out) throws IOException {
        metadata.put("general.alignment", ALIGNMENT);
        ByteBuffer head = ByteBuffer.allocate(headerBytes()).order(ByteOrder.LITTLE_ENDIAN);
        head.putInt(MAGIC).putInt(VERSION).putLong(tensors.size()).putLong(metadata.size());
        for (Map.Entry<String, Object> kv : metadata.entrySet()) {
            putString(head, kv.getKey());
            putValue(head, kv.getKey(), kv.getValue());
        }
        long offset = 0;
        for (Tensor t : tensors) {
            putString(head, t.name());
            head.putInt(t.ne().length);
            for (long n : t.ne()) {
                head.putLong(n);
            }
            head.putInt(t.type().ggmlType);
            head.putLong(offset);
            offset = align(offset + t.type().bytes(t.values().length));
        }
        out.write(head.array(), 0, head.position());
        out.write(new byte[(int) (align(head.position()) - head.position())]);
        for (Tensor t : tensors) {
            long bytes = t.type().bytes(t.values().length);
            ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(align(bytes))).order(ByteOrder.LITTLE_ENDIAN);
            t.type().encode(t.values(), data);
            out.write(data.array());
        }
    }

    static long align(long offset) {
        return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private int headerBytes() {
        long size = 24 + 64L;
        for (Map.Entry<String, Object> kv : metadata.entrySet()) {
            size += 8 + utf8(kv.getKey()).length + 4 + valueBytes(kv.getValue());
        }
        for (Tensor t : tensors) {
            size += 8 + utf8(t.name()).length + 4 + 8L * t.ne().length + 4 + 8;
        }
        return Math.toIntExact(size);
    }

    private static long valueBytes(Object value) {
        if (value instanceof String s) {
            return 8 + utf8(s).length;
        }
        if (value instanceof int[] a) {
            return 12 + 4L * a.length;
        }
        if (value instanceof float[] a) {
            return 12 + 4L * a.length;
        }
        if (value instanceof List<?> list) {
            long size = 12;
            for (Object s : list) {
                size += 8 + utf8((String) s).length;
            }
            return size;
        }
        return 4;
    }

    private static void putValue(ByteBuffer buf, String key, Object value) {
        if (value instanceof String s) {
            buf.putInt(STRING);
            putString(buf, s);
        } else if (value instanceof Integer i) {
            buf.putInt(UINT32).putInt(i);
        } else if (value instanceof Float f) {
            buf.putInt(FLOAT32).putFloat(f);
        } else if (value instanceof Boolean b) {
            buf.putInt(BOOL).put((byte) (b ? 1 : 0));
        } else if (value instanceof int[] a) {
            buf.putInt(ARRAY).putInt(INT32).putLong(a.length);
            for (int v : a) {
                buf.putInt(v);
            }
        } else if (value instanceof float[] a) {
            buf.putInt(ARRAY).putInt(FLOAT32).putLong(a.length);
            for (float v : a) {
                buf.putFloat(v);
            }
        } else if (value instanceof List<?> list) {
            buf.putInt(ARRAY).putInt(STRING).putLong(list.size());
            for (Object s : list) {
                putString(buf, (String) s);
            }
        } else {
            throw new IllegalArgumentException("GGUF metadata " + key + ": no GGUF type for "
                    + value.getClass().getSimpleName());
        }
    }

    private static void putString(ByteBuffer buf, String s) {
        byte[] bytes = utf8(s);
        buf.putLong(bytes.length).put(bytes);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
