package dev.osprey.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Quantized weights round-trip within the error their format allows, and really are small. */
class QuantizedWeightTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    /** A weight with a heavy-tailed spread, (out, in); its size is not a multiple of any block to exercise padding. */
    private NDArray weight(long out, long in) {
        manager.getEngine().setRandomSeed(5);
        NDArray w = manager.randomNormal(0, 0.05f, new Shape(out, in), DataType.FLOAT32);
        return w.mul(manager.randomUniform(0.2f, 3f, new Shape(out, 1), DataType.FLOAT32)); // rows of different scale
    }

    @Test
    void nf4PicksTheNearestLevelSoTheErrorIsAtMostHalfTheGapAroundTheValue() {
        assertNearestNf4Levels(weight(37, 50)); // 1850 values: 29 blocks of 64, the last padded
    }

    @Test
    void nf4QuantizedInChunksGivesTheCodesOfOnePass() {
        NDArray w = weight(300, 1000); // 300,000 values: 4688 blocks of 64, the last padded
        try (Nf4Weight whole = Nf4Weight.quantize(w, 64, 1L << 20);
                Nf4Weight chunked = Nf4Weight.quantize(w, 64, 1L << 16)) { // 5 chunks of 1024 blocks, the last short
            assertArrayEquals(whole.codes().toByteArray(), chunked.codes().toByteArray());
            assertArrayEquals(whole.absmax().toFloatArray(), chunked.absmax().toFloatArray());
        }
    }

    private void assertNearestNf4Levels(NDArray w) {
        Nf4Weight q = (Nf4Weight) QuantizedWeight.quantize(w, QuantSpec.nf4());
        float[] original = w.toFloatArray();
        float[] restored = q.dequantize(DataType.FLOAT32).toFloatArray();
        float[] absmax = q.absmax().toFloatArray();
        assertEquals((original.length + 63) / 64, absmax.length);
        float[] levels = Nf4Weight.LEVELS;
        double worst = 0;
        for (int i = 0; i < original.length; i++) {
            float scale = absmax[i / 64];
            double v = original[i] / scale;
            int upper = 1;
            while (upper < levels.length - 1 && levels[upper] < v) {
                upper++;
            }
            double halfGap = (levels[upper] - levels[upper - 1]) / 2;
            double error = Math.abs(original[i] - restored[i]);
            assertTrue(
                    error <= halfGap * scale * (1 + 1e-5) + 1e-9,
                    "value " + i + ": error " + error + " > " + halfGap * scale);
            worst = Math.max(worst, error / scale);
        }
        // the widest NF4 gap is between -1 and -0.696: no normalized error may exceed half of it
        assertTrue(worst <= (levels[1] - levels[0]) / 2 + 1e-6, "worst normalized error " + worst);
        for (int b = 0; b < absmax.length; b++) { // the absmax is the block's largest |w|
            float max = 0;
            for (int i = b * 64; i < Math.min(original.length, (b + 1) * 64); i++) {
                max = Math.max(max, Math.abs(original[i]));
            }
            assertEquals(max, absmax[b], 0f);
        }
    }

    @Test
    void int4ErrorIsAtMostHalfAStepOfItsGroup() {
        NDArray w = weight(12, 200); // groups of 128: rows padded to 256
        Int4Weight q = (Int4Weight) QuantizedWeight.quantize(w, QuantSpec.int4());
        float[] original = w.toFloatArray();
        float[] restored = q.dequantize(DataType.FLOAT32).toFloatArray();
        float[] scales = q.scales().toFloatArray();
        assertEquals(12 * 2, scales.length);
        for (int i = 0; i < original.length; i++) {
            int row = i / 200;
            int group = row * 2 + (i % 200) / 128;
            float step = scales[group];
            assertTrue(
                    Math.abs(original[i] - restored[i]) <= step / 2 * (1 + 1e-4),
                    "value " + i + ": error " + Math.abs(original[i] - restored[i]) + ", step " + step);
        }
    }

    @Test
    void int8ErrorIsAtMostHalfOfAbsmaxOver127PerRow() {
        NDArray w = weight(24, 70);
        Int8Weight q = (Int8Weight) QuantizedWeight.quantize(w, QuantSpec.int8());
        float[] original = w.toFloatArray();
        float[] restored = q.dequantize(DataType.FLOAT32).toFloatArray();
        for (int row = 0; row < 24; row++) {
            float absmax = 0;
            for (int j = 0; j < 70; j++) {
                absmax = Math.max(absmax, Math.abs(original[row * 70 + j]));
            }
            for (int j = 0; j < 70; j++) {
                int i = row * 70 + j;
                assertTrue(
                        Math.abs(original[i] - restored[i]) <= absmax / 127 / 2 * (1 + 1e-5),
                        "row " + row + " col " + j);
            }
        }
    }

    @Test
    void storageIsAnEighthOrAQuarterOfF32PlusScales() {
        NDArray w = weight(256, 512); // 131072 values, 512 KiB in F32
        long f32 = w.size() * 4;
        try (QuantizedWeight nf4 = QuantizedWeight.quantize(w, QuantSpec.nf4());
                QuantizedWeight int4 = QuantizedWeight.quantize(w, QuantSpec.int4());
                QuantizedWeight int8 = QuantizedWeight.quantize(w, QuantSpec.int8())) {
            NDArray codes = ((Nf4Weight) nf4).codes();
            assertEquals(DataType.UINT8, codes.getDataType());
            assertEquals(f32 / 8, codes.size()); // two 4-bit codes per byte
            long table = 256 * 2 * 4; // the byte -> two values lookup table
            assertEquals(f32 / 8 + w.size() / 64 * 4 + table, nf4.storageBytes()); // + one F32 absmax per 64
            assertEquals(
                    f32 / 8 + w.size() / 128 * (4 + 1) + table,
                    int4.storageBytes()); // + F32 scale and a byte zero point per 128
            assertEquals(f32 / 4 + 256 * 4, int8.storageBytes()); // + one F32 scale per row
            assertTrue(
                    nf4.storageBytes() < f32 * 0.145 && int8.storageBytes() < f32 * 0.252,
                    nf4.storageBytes() + " and " + int8.storageBytes() + " of " + f32);
        }
    }

    @Test
    void theFirstCodeOfAPairGoesInTheHighNibble() {
        NDArray packed = Nibbles.pack(manager.create(new float[] {1, 2, 15, 0, 0, 15}));
        assertArrayEquals(new byte[] {0x12, (byte) 0xF0, 0x0F}, packed.toByteArray());
        float[] identity = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        assertArrayEquals(
                new float[] {1, 2, 15, 0, 0, 15},
                Nibbles.lookup(packed, Nibbles.pairTable(manager, identity)).toFloatArray());
    }

    @Test
    void anAllZeroWeightStaysZero() {
        NDArray zeros = manager.zeros(new Shape(4, 64));
        for (QuantSpec spec : new QuantSpec[] {QuantSpec.nf4(), QuantSpec.int4(), QuantSpec.int8()}) {
            NDArray restored = QuantizedWeight.quantize(zeros, spec).dequantize(DataType.FLOAT32);
            assertEquals(0f, restored.abs().max().getFloat(), 0f, spec.toString());
        }
    }

    @Test
    void optionsAreCheckedByName() {
        assertEquals(QuantSpec.nf4(), QuantSpec.of(4, null));
        assertEquals(QuantSpec.int4(), QuantSpec.of(4, "INT4"));
        assertEquals(QuantSpec.int8(), QuantSpec.of(8, "nf4"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> QuantSpec.of(3, null))
                .getMessage()
                .contains("--quant_bits"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> QuantSpec.of(4, "fp4"))
                .getMessage()
                .contains("fp4"));
        assertThrows(IllegalArgumentException.class, () -> new QuantSpec(QuantSpec.Method.NF4, 63));
    }
}
