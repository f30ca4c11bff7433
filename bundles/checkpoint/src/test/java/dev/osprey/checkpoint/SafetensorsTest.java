package dev.osprey.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Safetensors round trips through real files and real DJL arrays, and every way a file can be wrong. */
class SafetensorsTest {

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void start() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void stop() {
        manager.close();
    }

    private static float[] randomFloats(int n, long seed) {
        Random random = new Random(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian() * 3;
        }
        return out;
    }

    private static CheckpointException fails(Executable call, Path file, String... fragments) {
        CheckpointException e = assertThrows(CheckpointException.class, call);
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
        }
        assertEquals(file, e.file());
        return e;
    }

    // ----------------------------------------------------------------------------------- round trips

    @Test
    void f32RoundTripsExactly() throws IOException {
        float[] a = randomFloats(15, 1);
        float[] b = randomFloats(4, 2);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("z.weight", manager.create(a, new Shape(3, 5)));
        tensors.put("a.bias", manager.create(b, new Shape(4)));
        tensors.put("scalar", manager.create(7.5f));
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, tensors, Map.of("format", "pt"), "F32");

        Map<String, TensorInfo> header = Safetensors.readHeader(file);
        assertEquals(List.of("a.bias", "scalar", "z.weight"), new ArrayList<>(header.keySet()), "data in name order");
        assertEquals(new TensorInfo("a.bias", "F32", new long[] {4}, 0, 16), header.get("a.bias"));
        assertEquals(new TensorInfo("scalar", "F32", new long[0], 16, 20), header.get("scalar"));
        assertEquals(new TensorInfo("z.weight", "F32", new long[] {3, 5}, 20, 80), header.get("z.weight"));
        assertEquals(Map.of("format", "pt"), Safetensors.metadata(file));

        NDArray z = Safetensors.read(manager, file, header.get("z.weight"), null);
        assertEquals(DataType.FLOAT32, z.getDataType());
        assertEquals(new Shape(3, 5), z.getShape());
        assertArrayEquals(a, z.toFloatArray());
        assertArrayEquals(
                b,
                Safetensors.read(manager, file, header.get("a.bias"), DataType.FLOAT32)
                        .toFloatArray());
        NDArray scalar = Safetensors.read(manager, file, header.get("scalar"), null);
        assertEquals(new Shape(), scalar.getShape());
        assertEquals(7.5f, scalar.getFloat());
    }

    @Test
    void headerIsPaddedWithSpacesToEightBytesLikeTheReference() throws IOException {
        Path file = dir.resolve("pad.safetensors");
        Safetensors.write(file, Map.of("w", manager.create(new float[] {1, 2}, new Shape(2))), null, "F32");
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", header.strip());
        assertTrue(header.endsWith(" ") || header.length() % 8 == 0);
        assertEquals(8 + n + 8, bytes.length);
        assertTrue(Safetensors.metadata(file).isEmpty());
    }

    @Test
    void f16RoundTripsExactly() throws IOException {
        NDArray f16 = manager.create(randomFloats(24, 3), new Shape(2, 3, 4)).toType(DataType.FLOAT16, false);
        float[] expected = f16.toType(DataType.FLOAT32, false).toFloatArray();
        Path file = dir.resolve("half.safetensors");
        Safetensors.write(file, Map.of("h", f16), Map.of(), "F16");

        TensorInfo info = Safetensors.readHeader(file).get("h");
        assertEquals("F16", info.dtype());
        assertEquals(48, info.byteSize());
        NDArray back = Safetensors.read(manager, file, info, null);
        assertEquals(DataType.FLOAT16, back.getDataType());
        assertArrayEquals(expected, back.toType(DataType.FLOAT32, false).toFloatArray());
        NDArray widened = Safetensors.read(manager, file, info, DataType.FLOAT32);
        assertEquals(DataType.FLOAT32, widened.getDataType());
        assertArrayEquals(expected, widened.toFloatArray());
    }

    @Test
    void f32WrittenAsF16IsNarrowedByTheEngine() throws IOException {
        float[] values = {1f, 0.1f, -65504f, 3.14159f};
        Path file = dir.resolve("narrow.safetensors");
        Safetensors.write(file, Map.of("w", manager.create(values)), null, "F16");
        NDArray back =
                Safetensors.read(manager, file, Safetensors.readHeader(file).get("w"), DataType.FLOAT32);
        float[] expected = manager.create(values)
                .toType(DataType.FLOAT16, false)
                .toType(DataType.FLOAT32, false)
                .toFloatArray();
        assertArrayEquals(expected, back.toFloatArray());
    }

    @Test
    void bf16WriteThenReadGivesTheBf16RoundedValues() throws IOException {
        float[] values = randomFloats(64, 4);
        values[0] = Float.intBitsToFloat(0x3F80_8000); // a tie
        values[1] = Float.intBitsToFloat(0x3F81_8000); // the other tie
        values[2] = Float.NaN;
        values[3] = Float.NEGATIVE_INFINITY;
        values[4] = 1.0f;
        values[5] = -2.0f;
        Path file = dir.resolve("bf16.safetensors");
        Safetensors.write(file, Map.of("w", manager.create(values, new Shape(8, 8))), Map.of("format", "pt"), "BF16");

        TensorInfo info = Safetensors.readHeader(file).get("w");
        assertEquals("BF16", info.dtype());
        assertEquals(128, info.byteSize());
        byte[] bytes = Files.readAllBytes(file);
        int dataStart = bytes.length - 128;
        // 1.0f is 0x3F80, stored little-endian at element 4
        assertEquals((byte) 0x80, bytes[dataStart + 8]);
        assertEquals((byte) 0x3F, bytes[dataStart + 9]);

        NDArray back = Safetensors.read(manager, file, info, null);
        assertEquals(DataType.FLOAT32, back.getDataType(), "BF16 arrives widened to F32");
        assertEquals(new Shape(8, 8), back.getShape());
        float[] expected = Safetensors.bf16ToFloat(Safetensors.floatToBf16(values));
        assertArrayEquals(expected, back.toFloatArray());
        assertEquals(1.0f, expected[0]);
        assertEquals(Float.intBitsToFloat(0x3F82_0000), expected[1]);
        assertTrue(Float.isNaN(back.toFloatArray()[2]));

        NDArray half = Safetensors.read(manager, file, info, DataType.FLOAT16);
        assertEquals(DataType.FLOAT16, half.getDataType());
        assertEquals(-2.0f, half.toType(DataType.FLOAT32, false).toFloatArray()[5]);
    }

    @Test
    void readsAHandMadeBf16File() throws IOException {
        Path file = Files8.safetensors(
                dir.resolve("hand.safetensors"),
                "{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,6]}}",
                new byte[] {(byte) 0x80, 0x3F, 0x00, (byte) 0xC0, (byte) 0xC0, 0x3F});
        NDArray w = Safetensors.read(manager, file, Safetensors.readHeader(file).get("w"), null);
        assertArrayEquals(new float[] {1.0f, -2.0f, 1.5f}, w.toFloatArray());
    }

    @Test
    void integerTensorsKeepTheirType() throws IOException {
        Path file = dir.resolve("ints.safetensors");
        Safetensors.write(
                file,
                Map.of(
                        "ids",
                        manager.create(new long[] {1, -2, 1L << 40}),
                        "mask",
                        manager.create(new int[] {3, 4}),
                        "w",
                        manager.create(new float[] {0.5f})),
                null,
                "BF16");
        Map<String, TensorInfo> header = Safetensors.readHeader(file);
        assertEquals("I64", header.get("ids").dtype());
        assertEquals("I32", header.get("mask").dtype());
        assertEquals("BF16", header.get("w").dtype());
        NDArray ids = Safetensors.read(manager, file, header.get("ids"), DataType.FLOAT16);
        assertEquals(DataType.INT64, ids.getDataType(), "target applies to floating tensors only");
        assertArrayEquals(new long[] {1, -2, 1L << 40}, ids.toLongArray());
        assertArrayEquals(
                new int[] {3, 4},
                Safetensors.read(manager, file, header.get("mask"), null).toIntArray());
    }

    @Test
    void writesNonContiguousArraysInLogicalOrder() throws IOException {
        NDArray m = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
        Path file = dir.resolve("t.safetensors");
        Safetensors.write(file, Map.of("t", m.transpose()), null, "F32");
        NDArray back =
                Safetensors.read(manager, file, Safetensors.readHeader(file).get("t"), null);
        assertEquals(new Shape(3, 2), back.getShape());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, back.toFloatArray());
    }

    @Test
    void emptyTensorsRoundTrip() throws IOException {
        Path file = dir.resolve("empty.safetensors");
        Safetensors.write(
                file, Map.of("e", manager.zeros(new Shape(0, 4)), "w", manager.create(new float[] {2f})), null, "F32");
        Map<String, TensorInfo> header = Safetensors.readHeader(file);
        assertEquals(0, header.get("e").byteSize());
        assertEquals(
                new Shape(0, 4),
                Safetensors.read(manager, file, header.get("e"), null).getShape());
        assertEquals(2f, Safetensors.read(manager, file, header.get("w"), null).getFloat());
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, Map.of("w", manager.create(new float[] {1f})), null, "F32");
        Safetensors.write(file, Map.of("v", manager.create(new float[] {2f, 3f})), null, "F32");
        assertEquals(List.of("v"), new ArrayList<>(Safetensors.readHeader(file).keySet()));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void writeRejectsBadRequestsWithoutTouchingTheFile() throws IOException {
        Path file = dir.resolve("x.safetensors");
        NDArray w = manager.create(new float[] {1f});
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, Map.of("w", w), null, "F64"));
        assertThrows(
                IllegalArgumentException.class, () -> Safetensors.write(file, Map.of("__metadata__", w), null, "F32"));
        assertThrows(
                IllegalArgumentException.class,
                () -> Safetensors.read(
                        manager, file, new TensorInfo("w", "F32", new long[] {1}, 0, 4), DataType.BFLOAT16));
        assertFalse(Files.exists(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    // ----------------------------------------------------------------------------------- bad files

    @Test
    void fileShorterThanTheLengthPrefixIsTruncated() throws IOException {
        Path file = dir.resolve("tiny.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        fails(() -> Safetensors.readHeader(file), file, "truncated");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        Path file = Files8.raw(dir.resolve("absurd.safetensors"), 1L << 40, "{}".getBytes(), new byte[0]);
        fails(() -> Safetensors.readHeader(file), file, "absurd");
        Path negative = Files8.raw(dir.resolve("negative.safetensors"), -5, "{}".getBytes(), new byte[0]);
        fails(() -> Safetensors.readHeader(negative), negative, "absurd");
        Path huge = Files8.raw(dir.resolve("huge.safetensors"), 200L << 20, new byte[0], new byte[0]);
        fails(() -> Safetensors.readHeader(huge), huge, "absurd", "100 MB");
    }

    @Test
    void fileShorterThanItsHeaderIsTruncated() throws IOException {
        byte[] json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes();
        Path file = Files8.raw(dir.resolve("cut.safetensors"), json.length + 4, json, new byte[0]);
        fails(() -> Safetensors.readHeader(file), file, "truncated");
    }

    @Test
    void headerThatIsNotJson() throws IOException {
        Path file = Files8.safetensors(dir.resolve("garbage.safetensors"), "{\"w\": [1, 2", new byte[0]);
        fails(() -> Safetensors.readHeader(file), file, "not valid JSON");
        Path array = Files8.safetensors(dir.resolve("array.safetensors"), "[1, 2]", new byte[0]);
        fails(() -> Safetensors.readHeader(array), array, "JSON object");
    }

    @Test
    void lyingHeaderWithOffsetsPastTheEnd() throws IOException {
        Path file = Files8.safetensors(
                dir.resolve("liar.safetensors"),
                "{\"ok\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[4,20]}}",
                Files8.floats(1, 2));
        fails(
                () -> Safetensors.readHeader(file),
                file,
                "'w'",
                "offsets [4, 20) past the end of the data (size 8)",
                "truncated or lying");
    }

    @Test
    void fileTruncatedAfterItsHeaderWasReadFailsOnLoad() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(
                file,
                Map.of("a", manager.create(new float[] {1, 2}), "b", manager.create(new float[] {3, 4})),
                null,
                "F32");
        TensorInfo b = Safetensors.readHeader(file).get("b");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 4);
        }
        fails(() -> Safetensors.read(manager, file, b, null), file, "'b'", "past the end of the data", "truncated");
        fails(() -> Safetensors.readHeader(file), file, "'b'", "past the end of the data");
    }

    @Test
    void shapeThatDisagreesWithTheByteCount() throws IOException {
        Path file = Files8.safetensors(
                dir.resolve("shape.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
                Files8.floats(1, 2));
        fails(() -> Safetensors.readHeader(file), file, "'w'", "needs 12 bytes", "hold 8");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path file = Files8.safetensors(
                dir.resolve("overlap.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                Files8.floats(1, 2, 3));
        fails(() -> Safetensors.readHeader(file), file, "'a'", "'b'", "overlap");
    }

    @Test
    void unknownDtype() throws IOException {
        Path file = Files8.safetensors(
                dir.resolve("dtype.safetensors"),
                "{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                Files8.floats(1));
        fails(() -> Safetensors.readHeader(file), file, "'w'", "Q4_K");
    }

    @Test
    void knownButUnloadableDtype() throws IOException {
        Path file = Files8.safetensors(
                dir.resolve("u16.safetensors"),
                "{\"w\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]}}",
                Files8.floats(1));
        TensorInfo info = Safetensors.readHeader(file).get("w");
        fails(() -> Safetensors.read(manager, file, info, null), file, "'w'", "U16");
    }

    @Test
    void malformedEntries() throws IOException {
        Path dup = Files8.safetensors(
                dir.resolve("dup.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                Files8.floats(1));
        fails(() -> Safetensors.readHeader(dup), dup, "'w'");
        Path noShape = Files8.safetensors(
                dir.resolve("noshape.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}",
                Files8.floats(1));
        fails(() -> Safetensors.readHeader(noShape), noShape, "'w'", "'shape'");
        Path negative = Files8.safetensors(
                dir.resolve("neg.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                Files8.floats(1));
        fails(() -> Safetensors.readHeader(negative), negative, "'w'", "'shape'");
        Path backwards = Files8.safetensors(
                dir.resolve("backwards.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}",
                Files8.floats(1));
        fails(() -> Safetensors.readHeader(backwards), backwards, "'w'", "[4, 0)");
        Path meta = Files8.safetensors(
                dir.resolve("meta.safetensors"), "{\"__metadata__\":{\"format\":\"pt\",\"step\":3}}", new byte[0]);
        fails(() -> Safetensors.readHeader(meta), meta, "__metadata__.step");
    }
}
