package dev.osprey.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The pure-Java BF16 conversions, on values whose bits are known. */
class Bf16Test {

    private static short bits(int b) {
        return (short) b;
    }

    @Test
    void widensKnownValues() {
        float[] f = Safetensors.bf16ToFloat(new short[] {
            bits(0x3F80), bits(0xC000), 0, bits(0x8000), bits(0x7F80), bits(0xFF80), bits(0x3FC0), bits(0x0001)
        });
        assertArrayEquals(
                new float[] {
                    1.0f,
                    -2.0f,
                    0.0f,
                    -0.0f,
                    Float.POSITIVE_INFINITY,
                    Float.NEGATIVE_INFINITY,
                    1.5f,
                    Float.intBitsToFloat(0x0001_0000)
                },
                f);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(f[3]));
        assertTrue(Float.isNaN(Safetensors.bf16ToFloat(bits(0x7FC0))));
    }

    @Test
    void narrowsKnownValues() {
        short[] b = Safetensors.floatToBf16(new float[] {
            1.0f, -2.0f, 0.0f, -0.0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1.5f, (float) Math.PI
        });
        assertArrayEquals(
                new short[] {
                    bits(0x3F80), bits(0xC000), 0, bits(0x8000), bits(0x7F80), bits(0xFF80), bits(0x3FC0), bits(0x4049)
                },
                b); // pi = 0x40490FDB rounds down to 0x4049
    }

    @Test
    void roundsToNearestWithTiesToEven() {
        // exactly halfway between 0x3F80 and 0x3F81: the even one (0x3F80) wins
        assertEquals(bits(0x3F80), Safetensors.floatToBf16(Float.intBitsToFloat(0x3F80_8000)));
        // halfway between 0x3F81 and 0x3F82: the even one (0x3F82) wins
        assertEquals(bits(0x3F82), Safetensors.floatToBf16(Float.intBitsToFloat(0x3F81_8000)));
        // just above and below halfway
        assertEquals(bits(0x3F81), Safetensors.floatToBf16(Float.intBitsToFloat(0x3F80_8001)));
        assertEquals(bits(0x3F80), Safetensors.floatToBf16(Float.intBitsToFloat(0x3F80_7FFF)));
        // negative values round by magnitude
        assertEquals(bits(0xBF82), Safetensors.floatToBf16(Float.intBitsToFloat(0xBF81_8000)));
        // the largest float rounds to infinity, as in PyTorch
        assertEquals(bits(0x7F80), Safetensors.floatToBf16(Float.MAX_VALUE));
        // the largest BF16 stays finite
        assertEquals(bits(0x7F7F), Safetensors.floatToBf16(Float.intBitsToFloat(0x7F7F_0000)));
    }

    @Test
    void keepsNaNaNaN() {
        for (int nan : new int[] {0x7FC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF}) {
            short b = Safetensors.floatToBf16(Float.intBitsToFloat(nan));
            assertTrue(Float.isNaN(Safetensors.bf16ToFloat(b)), Integer.toHexString(nan));
            assertEquals(nan < 0, b < 0, "sign of " + Integer.toHexString(nan));
        }
    }

    @Test
    void roundTripsEveryBf16Value() {
        for (int i = 0; i < 0x10000; i++) {
            short b = (short) i;
            float f = Safetensors.bf16ToFloat(b);
            if (!Float.isNaN(f)) {
                assertEquals(b, Safetensors.floatToBf16(f), Integer.toHexString(i));
            }
        }
    }
}
