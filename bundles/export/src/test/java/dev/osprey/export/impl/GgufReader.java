package dev.osprey.export.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An independent GGUF v3 parser for the tests, written from llama.cpp's docs/gguf.md rather than from {@link
 * GgufWriter}: metadata, tensor infos, and each tensor's values decoded from F32, F16 or Q8_0.
 */
final class GgufReader {

    record Info(String name, long[] ne, int type, long offset) {
        long count() {
            long n = 1;
            for (long d : ne) {
                n *= d;
            }
            return n;
        }
    }

    final int version;
    final Map<String, Object> metadata = new LinkedHashMap<>();
    final Map<String, Info> tensors = new LinkedHashMap<>();
    final long dataStart;
    final long fileSize;
    private final ByteBuffer buf;

    GgufReader(Path file) throws IOException {
        buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        fileSize = buf.capacity();
        byte[] magic = new byte[4];
        buf.get(magic);
        if (!new String(magic, StandardCharsets.US_ASCII).equals("GGUF")) {
            throw new IOException("not GGUF: " + file);
        }
        version = buf.getInt();
        long tensorCount = buf.getLong();
        long kvCount = buf.getLong();
        for (long i = 0; i < kvCount; i++) {
            String key = string();
            metadata.put(key, value(buf.getInt()));
        }
        for (long i = 0; i < tensorCount; i++) {
            String name = string();
            long[] ne = new long[buf.getInt()];
            for (int d = 0; d < ne.length; d++) {
                ne[d] = buf.getLong();
            }
            tensors.put(name, new Info(name, ne, buf.getInt(), buf.getLong()));
        }
        long alignment = ((Number) metadata.getOrDefault("general.alignment", 32)).longValue();
        dataStart = (buf.position() + alignment - 1) / alignment * alignment;
    }

    /** The tensor's values as floats, dequantized. */
    float[] values(String name) {
        Info t = tensors.get(name);
        float[] out = new float[Math.toIntExact(t.count())];
        ByteBuffer data =
                buf.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(Math.toIntExact(dataStart + t.offset));
        switch (t.type) {
            case 0 -> data.asFloatBuffer().get(out);
            case 1 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = half(data.getShort());
                }
            }
            case 8 -> {
                for (int b = 0; b < out.length; b += 32) {
                    float d = half(data.getShort());
                    for (int i = 0; i < 32; i++) {
                        out[b + i] = d * data.get();
                    }
                }
            }
            default -> throw new IllegalArgumentException("type " + t.type);
        }
        return out;
    }

    /** IEEE binary16 → float. */
    static float half(short h) {
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        float sign = (h & 0x8000) != 0 ? -1 : 1;
        if (exp == 0) {
            return sign * mant * 0x1p-24f;
        }
        if (exp == 0x1f) {
            return mant == 0 ? sign * Float.POSITIVE_INFINITY : Float.NaN;
        }
        return sign * (1 + mant / 1024f) * (float) Math.pow(2, exp - 15);
    }

    private String string() {
        byte[] b = new byte[Math.toIntExact(buf.getLong())];
        buf.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private Object value(int type) {
        return switch (type) {
            case 0, 1 -> buf.get();
            case 2, 3 -> buf.getShort();
            case 4, 5 -> buf.getInt();
            case 6 -> buf.getFloat();
            case 7 -> buf.get() != 0;
            case 8 -> string();
            case 9 -> {
                int elementType = buf.getInt();
                long n = buf.getLong();
                List<Object> list = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    list.add(value(elementType));
                }
                yield list;
            }
            case 10, 11 -> buf.getLong();
            case 12 -> buf.getDouble();
            default -> throw new IllegalArgumentException("metadata type " + type);
        };
    }
}
