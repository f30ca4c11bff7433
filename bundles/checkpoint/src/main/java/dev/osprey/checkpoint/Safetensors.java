package dev.osprey.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The safetensors format, read and written without Python: an 8-byte little-endian header length
 * {@code N}, {@code N} bytes of JSON ({@code {"name": {"dtype", "shape", "data_offsets": [begin, end]},
 * "__metadata__": {...}}}, offsets relative to the end of the header), then the raw little-endian data.
 *
 * <p>Why this class exists rather than DJL's own loader: the header is validated before a byte of data
 * is trusted (a truncated download or a lying header becomes a message naming the file and the tensor,
 * not a native crash or garbage weights), and BF16 is converted in Java. With DJL 0.36 on the PyTorch CPU
 * engine, creating or converting a BF16 {@code NDArray} aborts the JVM; so BF16 data is widened to F32
 * (a BF16 value is the upper 16 bits of an F32) before any array exists, and written BF16 is narrowed
 * from F32 here with round-to-nearest-even, as PyTorch does.
 *
 * <p>Each tensor must fit in one Java buffer (under 2 GiB of bytes, after widening BF16 to F32).
 */
public final class Safetensors {

    /** The header key of the free-form string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    /** Headers larger than this are not headers: the reference implementation uses the same limit. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** The largest tensor one direct buffer holds. */
    static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;

    /** Element sizes of the dtypes the header may declare (the sub-byte F4/F6 types are not supported). */
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(
            Map.entry("BOOL", 1),
            Map.entry("U8", 1),
            Map.entry("I8", 1),
            Map.entry("F8_E5M2", 1),
            Map.entry("F8_E4M3", 1),
            Map.entry("F8_E8M0", 1),
            Map.entry("I16", 2),
            Map.entry("U16", 2),
            Map.entry("F16", 2),
            Map.entry("BF16", 2),
            Map.entry("I32", 4),
            Map.entry("U32", 4),
            Map.entry("F32", 4),
            Map.entry("I64", 8),
            Map.entry("U64", 8),
            Map.entry("F64", 8));

    /** The dtypes {@link #read} turns into arrays (BF16 and FP8 E4M3 arrive as F32). */
    private static final Map<String, DataType> LOADABLE = Map.of(
            "F64",
            DataType.FLOAT64,
            "F32",
            DataType.FLOAT32,
            "F16",
            DataType.FLOAT16,
            "BF16",
            DataType.FLOAT32,
            "F8_E4M3",
            DataType.FLOAT32,
            "I64",
            DataType.INT64,
            "I32",
            DataType.INT32,
            "I8",
            DataType.INT8,
            "U8",
            DataType.UINT8,
            "BOOL",
            DataType.BOOLEAN);

    /** The dtypes non-floating arrays are written as. */
    private static final Map<DataType, String> WRITABLE_EXACT = Map.of(
            DataType.INT64,
            "I64",
            DataType.INT32,
            "I32",
            DataType.INT8,
            "I8",
            DataType.UINT8,
            "U8",
            DataType.BOOLEAN,
            "BOOL");

    private static final int CHUNK_ELEMENTS = 1 << 20;

    private Safetensors() {}

    // ------------------------------------------------------------------------------------------ reading

    /**
     * The tensors a file declares, in the order of their data, after checking that the header is sane:
     * the file holds the whole header, the header is a JSON object, every dtype is known, every tensor's
     * byte range matches its shape and lies inside the data area, and no two tensors overlap.
     *
     * @throws CheckpointException naming the file and the tensor when any of that fails
     * @throws IOException         when the file cannot be read at all
     */
    public static Map<String, TensorInfo> readHeader(Path file) throws IOException {
        return parse(file).tensors();
    }

    /** The header's {@code __metadata__} strings (e.g. {@code {"format": "pt"}}); empty if it has none. */
    public static Map<String, String> metadata(Path file) throws IOException {
        return parse(file).metadata();
    }

    /**
     * Reads one tensor's data into a new array of {@code manager}.
     *
     * <p>Floating-point tensors arrive as {@code target}: {@link DataType#FLOAT32}, {@link DataType#FLOAT16}
     * or {@link DataType#FLOAT64}, or {@code null} for the file's own type, where BF16 becomes FLOAT32.
     * Integer and boolean tensors arrive as stored, whatever {@code target} says.
     *
     * @param info an entry of {@link #readHeader(Path)} of this same file
     * @throws IllegalArgumentException for a target of BFLOAT16 or a non-floating type
     * @throws CheckpointException      when the file has become shorter than the header says, or the
     *                                  dtype cannot be loaded (F8, unsigned 16/32/64-bit)
     */
    public static NDArray read(NDManager manager, Path file, TensorInfo info, DataType target) throws IOException {
        Objects.requireNonNull(manager, "manager");
        checkTarget(target);
        DataType stored = LOADABLE.get(info.dtype());
        if (stored == null) {
            throw new CheckpointException(
                    file,
                    "tensor '" + info.name() + "' has dtype " + info.dtype() + ", which Osprey cannot load (supported: "
                            + String.join(", ", new TreeMap<>(LOADABLE).keySet()) + ")");
        }
        boolean bf16 = info.dtype().equals("BF16");
        boolean fp8 =
                info.dtype().equals("F8_E4M3"); // pre-quantized weights; their scales are applied by the model loader
        long numel = info.numel();
        long arrayBytes = bf16 || fp8 ? numel * 4 : info.byteSize();
        if (arrayBytes > MAX_TENSOR_BYTES || numel > Integer.MAX_VALUE) {
            throw new CheckpointException(
                    file,
                    "tensor '" + info.name() + "' needs " + arrayBytes + " bytes, more than one buffer holds (2 GiB)");
        }
        Shape shape = new Shape(info.shape());
        if (numel == 0) {
            NDArray empty = manager.zeros(shape, stored);
            return stored.isFloating() ? convert(empty, target) : empty;
        }
        ByteBuffer raw = ByteBuffer.allocateDirect((int) info.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long dataStart = 8 + headerLength(ch, file);
            long size = ch.size();
            if (dataStart + info.end() > size) {
                throw new CheckpointException(
                        file,
                        "tensor '" + info.name() + "': offsets [" + info.begin() + ", "
                                + info.end() + ") past the end of the data (size " + (size - dataStart)
                                + "): the file is truncated or lying");
            }
            readFully(ch, raw, dataStart + info.begin(), file, "tensor '" + info.name() + "'");
        }
        raw.flip();
        ByteBuffer data = bf16
                ? widenBf16(raw, (int) numel)
                : fp8 ? widenFp8E4m3(raw, (int) numel) : toNativeOrder(raw, DTYPE_BYTES.get(info.dtype()));
        if (data != raw) {
            DirectBuffers.free(raw); // the file's bytes were copied (widened or byte-swapped)
        }
        NDArray array = manager.create(data, shape, bf16 || fp8 ? DataType.FLOAT32 : stored);
        NDArray result = stored.isFloating() ? convert(array, target) : array;
        if (result != array) {
            // converted into an array of its own, the original closed: the buffer it shared is garbage now
            DirectBuffers.free(data);
        }
        return result;
    }

    /** The parsed header: where the data starts, the tensors in data order, the metadata. */
    record Header(long dataStart, Map<String, TensorInfo> tensors, Map<String, String> metadata) {}

    static Header parse(Path file) throws IOException {
        byte[] json;
        long fileSize;
        long n;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            fileSize = ch.size();
            n = headerLength(ch, file);
            if (n > fileSize - 8) {
                throw new CheckpointException(
                        file,
                        "truncated: the header length says " + n + " bytes of header but only " + (fileSize - 8)
                                + " bytes follow it");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) n);
            readFully(ch, buf, 8, file, "the header");
            json = buf.array();
        }
        long dataSize = fileSize - 8 - n;
        Map<String, Object> root = Json.parseObject(file, json, 0, json.length, "the header ");

        Map<String, String> metadata = Map.of();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<String, Object> e : root.entrySet()) {
            if (e.getKey().equals(METADATA_KEY)) {
                metadata = parseMetadata(file, e.getValue());
            } else {
                tensors.add(parseTensor(file, e.getKey(), e.getValue(), dataSize));
            }
        }
        tensors.sort(Comparator.comparingLong(TensorInfo::begin)
                .thenComparingLong(TensorInfo::end)
                .thenComparing(TensorInfo::name));
        TensorInfo previous = null;
        for (TensorInfo t : tensors) {
            if (t.byteSize() == 0) {
                continue;
            }
            if (previous != null && t.begin() < previous.end()) {
                throw new CheckpointException(
                        file,
                        "tensors '" + previous.name() + "' [" + previous.begin() + ", " + previous.end() + ") and '"
                                + t.name() + "' [" + t.begin() + ", " + t.end() + ") overlap");
            }
            if (previous == null || t.end() > previous.end()) {
                previous = t;
            }
        }
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        tensors.forEach(t -> byName.put(t.name(), t));
        return new Header(8 + n, Collections.unmodifiableMap(byName), metadata);
    }

    private static Map<String, String> parseMetadata(Path file, Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new CheckpointException(
                    file, "header field '" + METADATA_KEY + "' must be an object of strings, was " + Json.show(value));
        }
        Map<String, String> out = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (!(v instanceof String s)) {
                throw new CheckpointException(
                        file, "header field '" + METADATA_KEY + "." + k + "' must be a string, was " + Json.show(v));
            }
            out.put((String) k, s);
        });
        return Collections.unmodifiableMap(out);
    }

    private static TensorInfo parseTensor(Path file, String name, Object value, long dataSize) {
        String where = "tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> entry)) {
            throw new CheckpointException(
                    file, where + " must be an object with dtype, shape and data_offsets, was " + Json.show(value));
        }
        Object dtypeValue = entry.get("dtype");
        if (!(dtypeValue instanceof String dtype)) {
            throw new CheckpointException(
                    file, where + ": field 'dtype' must be a string, was " + Json.show(dtypeValue));
        }
        Integer elementBytes = DTYPE_BYTES.get(dtype);
        if (elementBytes == null) {
            throw new CheckpointException(file, where + " has unknown or unsupported dtype '" + dtype + "'");
        }
        long[] shape = longs(file, where, "shape", entry.get("shape"), -1);
        long[] offsets = longs(file, where, "data_offsets", entry.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new CheckpointException(
                    file, where + ": data_offsets [" + begin + ", " + end + ") end before they begin");
        }
        if (end > dataSize) {
            throw new CheckpointException(
                    file,
                    where + ": offsets [" + begin + ", " + end + ") past the end of the data (size " + dataSize
                            + "): the file is truncated or lying");
        }
        long needed;
        try {
            long numel = 1;
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            needed = Math.multiplyExact(numel, (long) elementBytes);
        } catch (ArithmeticException e) {
            throw new CheckpointException(file, where + ": shape " + Arrays.toString(shape) + " is absurdly large");
        }
        if (end - begin != needed) {
            throw new CheckpointException(
                    file,
                    where + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs " + needed
                            + " bytes but data_offsets [" + begin + ", " + end + ") hold " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /** A JSON list of non-negative integers; {@code size} -1 for any length. */
    private static long[] longs(Path file, String where, String field, Object value, int size) {
        if (!(value instanceof List<?> list) || (size >= 0 && list.size() != size)) {
            throw new CheckpointException(
                    file,
                    where + ": field '" + field + "' must be a list of " + (size >= 0 ? size + " " : "")
                            + "non-negative integers, was " + Json.show(value));
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = list.get(i);
            if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 0) {
                throw new CheckpointException(
                        file,
                        where + ": field '" + field + "' must be a list of " + "non-negative integers, has "
                                + Json.show(v));
            }
            out[i] = ((Number) v).longValue();
        }
        return out;
    }

    /** The 8-byte little-endian header length, checked against the file and the 100 MB limit. */
    private static long headerLength(FileChannel ch, Path file) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new CheckpointException(
                    file,
                    "truncated: " + size
                            + " bytes, shorter than the 8-byte header length that starts a safetensors file");
        }
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, len, 0, file, "the header length");
        long n = len.getLong(0);
        if (n < 0 || n > MAX_HEADER_BYTES || n > size) {
            throw new CheckpointException(
                    file,
                    "header length " + Long.toUnsignedString(n)
                            + " is absurd (the file has " + size + " bytes; headers are at most 100 MB): "
                            + "not a safetensors file, or a corrupt one");
        }
        return n;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path file, String what)
            throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int read = ch.read(buf, pos);
            if (read < 0) {
                throw new CheckpointException(file, "truncated while reading " + what + " at byte " + pos);
            }
            pos += read;
        }
    }

    private static void checkTarget(DataType target) {
        if (target == DataType.BFLOAT16) {
            throw new IllegalArgumentException("target BFLOAT16 is not supported: DJL 0.36 on the PyTorch CPU engine "
                    + "aborts the JVM on BF16 arrays; load as FLOAT32 or FLOAT16");
        }
        if (target != null && target != DataType.FLOAT32 && target != DataType.FLOAT16 && target != DataType.FLOAT64) {
            throw new IllegalArgumentException("target must be FLOAT32, FLOAT16, FLOAT64 or null, was " + target);
        }
    }

    /** {@code array} as {@code target}, closing the original when a conversion made a new array. */
    private static NDArray convert(NDArray array, DataType target) {
        if (target == null || array.getDataType() == target) {
            return array;
        }
        NDArray converted = array.toType(target, false);
        if (converted != array) {
            array.close();
        }
        return converted;
    }

    /** Little-endian BF16 bytes to a direct native-order F32 buffer. */
    private static ByteBuffer widenBf16(ByteBuffer le, int numel) {
        ByteBuffer out = ByteBuffer.allocateDirect(numel * 4).order(ByteOrder.nativeOrder());
        for (int i = 0; i < numel; i++) {
            out.putInt(i * 4, (le.getShort(i * 2) & 0xFFFF) << 16);
        }
        return out;
    }

    /** Every FP8 E4M3 (OCP "e4m3fn") byte's value: 4 exponent bits with bias 7, 3 mantissa bits, no infinities. */
    private static final float[] FP8_E4M3 = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            int exponent = (b >> 3) & 0xF;
            int mantissa = b & 0x7;
            float magnitude = exponent == 0
                    ? (float) Math.scalb(mantissa / 8.0, -6) // subnormal
                    : exponent == 0xF && mantissa == 0x7
                            ? Float.NaN
                            : (float) Math.scalb(1 + mantissa / 8.0, exponent - 7);
            FP8_E4M3[b] = (b & 0x80) != 0 ? -magnitude : magnitude;
        }
    }

    /** FP8 E4M3 bytes to a direct native-order F32 buffer (exact: every E4M3 value is an F32). */
    private static ByteBuffer widenFp8E4m3(ByteBuffer bytes, int numel) {
        ByteBuffer out = ByteBuffer.allocateDirect(numel * 4).order(ByteOrder.nativeOrder());
        for (int i = 0; i < numel; i++) {
            out.putFloat(i * 4, FP8_E4M3[bytes.get(i) & 0xFF]);
        }
        return out;
    }

    /** Little-endian bytes in place to the platform's order (a no-op on x86 and ARM). */
    private static ByteBuffer toNativeOrder(ByteBuffer le, int elementBytes) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            swapBytes(le, elementBytes);
        }
        return le.order(ByteOrder.nativeOrder());
    }

    private static void swapBytes(ByteBuffer buf, int elementBytes) {
        if (elementBytes == 1) {
            return;
        }
        for (int i = buf.position(); i + elementBytes <= buf.limit(); i += elementBytes) {
            for (int a = i, b = i + elementBytes - 1; a < b; a++, b--) {
                byte t = buf.get(a);
                buf.put(a, buf.get(b));
                buf.put(b, t);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ writing

    /**
     * Writes {@code tensors} to {@code file}, replacing it atomically: the data goes to a temporary file in
     * the same folder, is forced to disk, and is then renamed over {@code file}, so a crash or a full disk
     * never leaves a half-written checkpoint under the real name.
     *
     * <p>Floating-point arrays are written as {@code dtype} ({@code F32}, {@code F16} or {@code BF16}; BF16
     * is narrowed from F32 in Java with round-to-nearest-even, NaN kept a NaN). Integer and boolean arrays
     * keep their own type. Tensors are laid out in name order, the header is padded with spaces to a
     * multiple of 8 bytes as the reference implementation does, and the arrays are not changed or closed.
     *
     * @param metadata the {@code __metadata__} strings, e.g. {@code {"format": "pt"}}; null or empty for none
     * @throws IllegalArgumentException for another dtype, an empty or reserved tensor name, or an array of a
     *                                  type safetensors cannot hold here (BF16 arrays, unsigned wide types)
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata, String dtype)
            throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        DataType floatType = switch (String.valueOf(dtype)) {
            case "F32" -> DataType.FLOAT32;
            case "F16" -> DataType.FLOAT16;
            case "BF16" -> DataType.FLOAT32; // narrowed in Java
            default -> throw new IllegalArgumentException(file + ": dtype must be F32, F16 or BF16, was " + dtype);
        };

        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            Map<String, String> meta = new TreeMap<>();
            metadata.forEach((k, v) -> meta.put(
                    Objects.requireNonNull(k, "metadata key"),
                    Objects.requireNonNull(v, () -> "metadata '" + k + "'")));
            header.put(METADATA_KEY, meta);
        }
        Map<String, NDArray> sorted = new TreeMap<>(tensors);
        List<String> outTypes = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, NDArray> e : sorted.entrySet()) {
            String name = e.getKey();
            NDArray array = e.getValue();
            if (name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException(file + ": '" + name + "' cannot name a tensor");
            }
            Objects.requireNonNull(array, () -> file + ": tensor '" + name + "' is null");
            DataType type = array.getDataType();
            String out;
            if (type == DataType.BFLOAT16) {
                throw new IllegalArgumentException(
                        file + ": tensor '" + name + "' is a BF16 array, which DJL 0.36 "
                                + "cannot convert on the PyTorch CPU engine; keep weights in F32 or F16 and write BF16 from those");
            } else if (type.isFloating()) {
                out = dtype;
            } else {
                out = WRITABLE_EXACT.get(type);
                if (out == null) {
                    throw new IllegalArgumentException(file + ": tensor '" + name + "' has type " + type
                            + ", which Osprey does not write to safetensors");
                }
            }
            long bytes = array.size() * DTYPE_BYTES.get(out);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", out);
            entry.put("shape", array.getShape().getShape());
            entry.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(name, entry);
            outTypes.add(out);
            offset += bytes;
        }
        byte[] json = Json.MAPPER.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();

        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        // not Files.createTempFile: its owner-only permissions would carry over to the checkpoint
        Path tmp = dir.resolve("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(ch, head);
                int i = 0;
                for (Map.Entry<String, NDArray> e : sorted.entrySet()) {
                    writeTensor(ch, e.getValue(), outTypes.get(i++), floatType);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException(target + ": the file system cannot rename atomically; not written", e);
            }
            forceDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeTensor(FileChannel ch, NDArray array, String out, DataType floatType) throws IOException {
        if (array.size() == 0) {
            return;
        }
        List<NDArray> temporaries = new ArrayList<>(2);
        try {
            NDArray source = array;
            if (!Device.cpu().equals(source.getDevice())) {
                source = keep(temporaries, array, source.toDevice(Device.cpu(), false));
            }
            if (source.getDataType().isFloating() && source.getDataType() != floatType) {
                source = keep(temporaries, array, source.toType(floatType, false));
            }
            ByteBuffer bytes = source.toByteBuffer().order(ByteOrder.nativeOrder());
            if (out.equals("BF16")) {
                FloatBuffer floats = bytes.asFloatBuffer();
                ByteBuffer chunk = ByteBuffer.allocateDirect(Math.min(floats.remaining(), CHUNK_ELEMENTS) * 2)
                        .order(ByteOrder.LITTLE_ENDIAN);
                while (floats.hasRemaining()) {
                    chunk.clear();
                    int n = Math.min(floats.remaining(), CHUNK_ELEMENTS);
                    for (int k = 0; k < n; k++) {
                        chunk.putShort(floatToBf16(floats.get()));
                    }
                    chunk.flip();
                    writeFully(ch, chunk);
                }
            } else {
                if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
                    swapBytes(bytes, DTYPE_BYTES.get(out));
                }
                writeFully(ch, bytes);
            }
        } finally {
            temporaries.forEach(NDArray::close);
        }
    }

    private static NDArray keep(List<NDArray> temporaries, NDArray original, NDArray made) {
        if (made != original && !temporaries.contains(made)) {
            temporaries.add(made);
        }
        return made;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Makes the rename itself durable; not every platform lets a directory be opened, which is fine. */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: the data itself is already on disk
        }
    }

    // ------------------------------------------------------------------------------------------ BF16

    /** BF16 bits to F32: the BF16 value is the upper half of the F32, so this is exact. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * F32 to BF16 bits, rounding to nearest with ties to even (what PyTorch does). Values past the largest
     * BF16 round to infinity; NaN stays NaN (its quiet bit is set so that truncation cannot make it an
     * infinity), with its sign.
     */
    static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    static float[] bf16ToFloat(short[] bits) {
        float[] out = new float[bits.length];
        for (int i = 0; i < bits.length; i++) {
            out[i] = bf16ToFloat(bits[i]);
        }
        return out;
    }

    static short[] floatToBf16(float[] values) {
        short[] out = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = floatToBf16(values[i]);
        }
        return out;
    }
}
