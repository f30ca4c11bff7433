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
 * GgufWriter}: metadata, tensor infos, and each tensor's values decoded from F32, F16, Q8_0, Q5_0, Q5_1 or the
 * k-quants Q4_K, Q5_K and Q6_K (block layouts as ggml-common.h declares them).
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

    /** ggml type id → {block size, bytes per block}. */
    private static final Map<Integer, int[]> BLOCKS = Map.of(
            0, new int[] {1, 4},
            1, new int[] {1, 2},
            6, new int[] {32, 22},
            7, new int[] {32, 24},
            8, new int[] {32, 34},
            12, new int[] {256, 144},
            13, new int[] {256, 176},
            14, new int[] {256, 210});

    /** Bytes of the tensor's data. */
    static long bytes(Info t) {
        int[] block = BLOCKS.get(t.type);
        return t.count() / block[0] * block[1];
    }

    /** The tensor's values as floats, dequantized. */
    float[] values(String name) {
        Info t = tensors.get(name);
        float[] out = new float[Math.toIntExact(t.count())];
        ByteBuffer data =
                buf.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(Math.toIntExact(dataStart + t.offset));
        int blockSize = BLOCKS.get(t.type)[0];
        for (int b = 0; b < out.length; b += blockSize) {
            switch (t.type) {
                case 0 -> out[b] = data.getFloat();
                case 1 -> out[b] = half(data.getShort());
                case 6, 7 -> fiveBit(data, out, b, t.type == 7);
                case 8 -> {
                    float d = half(data.getShort());
                    for (int i = 0; i < 32; i++) {
                        out[b + i] = d * data.get();
                    }
                }
                case 12, 13 -> kWithMin(data, out, b, t.type == 13);
                case 14 -> k6(data, out, b);
                default -> throw new IllegalArgumentException("type " + t.type);
            }
        }
        return out;
    }

    /** Q5_0 (d, then q − 16) or Q5_1 (d and m, then q·d + m): 32 weights, fifth bits in a uint32. */
    private static void fiveBit(ByteBuffer data, float[] out, int at, boolean withMin) {
        float d = half(data.getShort());
        float m = withMin ? half(data.getShort()) : 0;
        int high = data.getInt();
        for (int j = 0; j < 16; j++) {
            int packed = data.get() & 0xFF;
            int q0 = (packed & 0xF) | (((high >>> j) & 1) << 4);
            int q1 = (packed >> 4) | (((high >>> (j + 16)) & 1) << 4);
            out[at + j] = withMin ? q0 * d + m : (q0 - 16) * d;
            out[at + j + 16] = withMin ? q1 * d + m : (q1 - 16) * d;
        }
    }

    /** Q4_K or Q5_K: 256 weights in 8 sub-blocks of 32, each with a 6-bit scale and min. */
    private static void kWithMin(ByteBuffer data, float[] out, int at, boolean fifthBit) {
        float d = half(data.getShort());
        float dmin = half(data.getShort());
        int[] s = new int[12];
        for (int i = 0; i < 12; i++) {
            s[i] = data.get() & 0xFF;
        }
        int[] high = new int[32];
        if (fifthBit) {
            for (int i = 0; i < 32; i++) {
                high[i] = data.get() & 0xFF;
            }
        }
        int[] qs = new int[128];
        for (int i = 0; i < 128; i++) {
            qs[i] = data.get() & 0xFF;
        }
        for (int sub = 0; sub < 8; sub++) {
            int scale = sub < 4 ? s[sub] & 63 : (s[sub + 4] & 0xF) | ((s[sub - 4] >> 6) << 4);
            int min = sub < 4 ? s[sub + 4] & 63 : (s[sub + 4] >> 4) | ((s[sub] >> 6) << 4);
            // sub-blocks 2c and 2c+1 are the low and high nibbles of qs[32c .. 32c+32)
            int chunk = sub / 2;
            boolean upper = sub % 2 == 1;
            for (int l = 0; l < 32; l++) {
                int q = upper ? qs[32 * chunk + l] >> 4 : qs[32 * chunk + l] & 0xF;
                if (fifthBit && (high[l] & (1 << sub)) != 0) {
                    q += 16;
                }
                out[at + 32 * sub + l] = d * scale * q - dmin * min;
            }
        }
    }

    /** Q6_K: 256 weights in 16 sub-blocks of 16 with int8 scales; codes of 4 low and 2 high bits, minus 32. */
    private static void k6(ByteBuffer data, float[] out, int at) {
        int[] low = new int[128];
        int[] high = new int[64];
        for (int i = 0; i < 128; i++) {
            low[i] = data.get() & 0xFF;
        }
        for (int i = 0; i < 64; i++) {
            high[i] = data.get() & 0xFF;
        }
        byte[] scales = new byte[16];
        data.get(scales);
        float d = half(data.getShort());
        for (int i = 0; i < 256; i++) {
            int half = i / 128; // two halves of 128, each with 64 low bytes and 32 high bytes
            int r = i % 128;
            int quarter = r / 32;
            int l = r % 32;
            int lowByte = low[64 * half + l + (quarter % 2) * 32];
            int lowBits = quarter < 2 ? lowByte & 0xF : lowByte >> 4;
            int highBits = (high[32 * half + l] >> (2 * quarter)) & 3;
            out[at + i] = d * scales[i / 16] * ((lowBits | (highBits << 4)) - 32);
        }
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
