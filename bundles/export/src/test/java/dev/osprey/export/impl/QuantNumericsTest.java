package dev.osprey.export.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** The building blocks of the quantized exports against independent computations. */
class QuantNumericsTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void choleskyFactorsASymmetricPositiveDefiniteMatrix() {
        Random random = new Random(3);
        float[] x = new float[40 * 12];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        NDArray xs = manager.create(x, new Shape(40, 12));
        NDArray a = xs.transpose().matMul(xs).toType(DataType.FLOAT64, false); // (12, 12)
        NDArray u = Cholesky.upper(a);
        assertTrue(u.transpose().matMul(u).sub(a).abs().max().getDouble() < 1e-9);
        assertEquals(0.0, u.get("1:, 0").abs().max().getDouble(), "upper triangular");
        NDArray notDefinite = manager.create(new double[] {1, 2, 2, 1}, new Shape(2, 2));
        assertThrows(IllegalArgumentException.class, () -> Cholesky.upper(notDefinite));
    }

    @Test
    void e4m3RoundsToNearestEvenAndSaturates() {
        for (int b = 0; b < 256; b++) {
            if ((b & 0x7F) != 0x7F) {
                assertEquals((byte) b, Fp8E4m3.encode(Fp8E4m3.decode((byte) b)), "code " + b);
            }
        }
        assertEquals(448f, Fp8E4m3.decode(Fp8E4m3.encode(1e6f)));
        assertEquals(-448f, Fp8E4m3.decode(Fp8E4m3.encode(-500f)));
        assertEquals(1f, Fp8E4m3.decode(Fp8E4m3.encode(1.0625f)), "a tie between 1 and 1.125 goes to the even 1");
        assertEquals(1.25f, Fp8E4m3.decode(Fp8E4m3.encode(1.1875f)), "a tie between 1.125 and 1.25 goes to 1.25");
        assertEquals(0.001953125f, Fp8E4m3.decode(Fp8E4m3.encode(0.002f)), "the smallest subnormal");
    }

    @Test
    void halfMatchesTheEngine() {
        Random random = new Random(5);
        float[] values = new float[2000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(12) - 8));
        }
        values[0] = 65520f; // rounds up to infinity
        values[1] = 5.96e-8f; // the smallest subnormal
        byte[] ours = QuantizedCheckpoint.f16(values);
        byte[] engine = manager.create(values).toType(DataType.FLOAT16, false).toByteArray();
        assertArrayEquals(engine, ours);
    }

    @Test
    void gptqWithoutCalibrationIsRoundToNearestAndPacksLikeTheReader() {
        Random random = new Random(9);
        float[] w = new float[16 * 32];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        NDArray weight = manager.create(w, new Shape(16, 32));
        GroupCodes q = Gptq.roundToNearest(weight, 4, 8, true);
        float[] deq = q.dequantized();
        for (int o = 0; o < 16; o++) {
            for (int g = 0; g < 4; g++) {
                float max = 0;
                for (int i = g * 8; i < g * 8 + 8; i++) {
                    max = Math.max(max, Math.abs(w[o * 32 + i]));
                }
                float scale = q.scales()[g * 16 + o];
                assertEquals(2 * max / 15, scale, 2e-3 * max, "symmetric scale: the range over 15 steps");
                assertEquals(8, q.zeros()[g * 16 + o]);
                for (int i = g * 8; i < g * 8 + 8; i++) {
                    // the top of a symmetric range sits half a step beyond code 15 (as in AutoGPTQ), F16 rounding aside
                    assertTrue(Math.abs(deq[o * 32 + i] - w[o * 32 + i]) <= scale * 0.51, "nearest code");
                }
            }
        }
    }

    @Test
    void roundToNearestIsGptqWithTheIdentityHessian() {
        Random random = new Random(11);
        float[] w = new float[24 * 64];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextGaussian() * (1 + i % 7));
        }
        NDArray weight = manager.create(w, new Shape(24, 64));
        for (int groupSize : new int[] {16, -1}) {
            for (boolean symmetric : new boolean[] {true, false}) {
                GroupCodes direct = Gptq.roundToNearest(weight, 4, groupSize, symmetric);
                GroupCodes columnByColumn = Gptq.quantize(weight, null, 4, groupSize, symmetric, false, 0.0);
                String at = "group " + groupSize + ", symmetric " + symmetric;
                assertArrayEquals(columnByColumn.codes(), direct.codes(), at);
                assertArrayEquals(columnByColumn.scales(), direct.scales(), at);
                assertArrayEquals(columnByColumn.zeros(), direct.zeros(), at);
                assertArrayEquals(columnByColumn.gIdx(), direct.gIdx(), at);
            }
        }
    }
}
