package dev.osprey.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RopeTest {

    @Test
    void defaultFrequenciesAreThetaToTheMinusTwoIOverD() {
        float[] inv = Rope.plain(10000, 8, 128).inverseFrequencies(10);
        assertEquals(4, inv.length);
        for (int i = 0; i < 4; i++) {
            assertEquals(1 / Math.pow(10000, 2.0 * i / 8), inv[i], 1e-7);
        }
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        Rope linear = new Rope("linear", 10000, 8, 4, 128, 128, 1, 4, 32, 1, 1, null, null);
        float[] plain = Rope.plain(10000, 8, 128).inverseFrequencies(10);
        float[] scaled = linear.inverseFrequencies(10);
        for (int i = 0; i < 4; i++) {
            assertEquals(plain[i] / 4, scaled[i], 1e-9);
        }
    }

    @Test
    void llama3KeepsHighFrequenciesAndDividesLowOnes() {
        // Llama 3.1's settings, 128-dimensional heads
        Rope llama3 = new Rope("llama3", 500000, 128, 8, 131072, 8192, 1, 4, 32, 1, 1, null, null);
        float[] plain =
                new Rope("default", 500000, 128, 1, 131072, 131072, 1, 4, 32, 1, 1, null, null).inverseFrequencies(10);
        float[] scaled = llama3.inverseFrequencies(10);
        assertEquals(plain[0], scaled[0], 0); // wavelength 2π < 8192/4: unchanged
        assertEquals(plain[63] / 8, scaled[63], 1e-12); // longest wavelength > 8192: divided by the factor
        for (int i = 0; i < 64; i++) {
            assertTrue(scaled[i] <= plain[i] && scaled[i] >= plain[i] / 8 - 1e-12, "between the two at " + i);
        }
    }

    @Test
    void dynamicGrowsTheBaseOnlyBeyondTheTrainedLength() {
        Rope dynamic = new Rope("dynamic", 10000, 8, 2, 128, 128, 1, 4, 32, 1, 1, null, null);
        float[] plain = Rope.plain(10000, 8, 128).inverseFrequencies(10);
        assertEquals(plain[3], dynamic.inverseFrequencies(100)[3], 0);
        assertTrue(dynamic.inverseFrequencies(512)[3] < plain[3]);
    }

    @Test
    void yarnInterpolatesLowFrequenciesAndKeepsHighOnes() {
        Rope yarn = new Rope("yarn", 10000, 64, 4, 4096, 1024, 1, 4, 32, 1, 0.1 * Math.log(4) + 1, null, null);
        float[] plain =
                new Rope("default", 10000, 64, 1, 1024, 1024, 1, 4, 32, 1, 1, null, null).inverseFrequencies(10);
        float[] scaled = yarn.inverseFrequencies(10);
        assertEquals(plain[0], scaled[0], 1e-9);
        assertEquals(plain[31] / 4, scaled[31], 1e-9);
    }

    @Test
    void longropeDividesByTheShortFactorsWithinTheOriginalContextAndByTheLongOnesBeyond() {
        double[] shortF = {1, 2, 3, 4};
        double[] longF = {5, 6, 7, 8};
        Rope longrope = new Rope("longrope", 10000, 8, 32, 131072, 4096, 1, 4, 32, 1, 1.2, shortF, longF);
        float[] plain = Rope.plain(10000, 8, 128).inverseFrequencies(10);
        for (int i = 0; i < 4; i++) {
            assertEquals(plain[i] / shortF[i], longrope.inverseFrequencies(4096)[i], 1e-6);
            assertEquals(plain[i] / longF[i], longrope.inverseFrequencies(5000)[i], 1e-6);
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> new Rope("longrope", 10000, 8, 1, 1, 1, 1, 4, 32, 1, 1, shortF, null));
    }

    @Test
    void unknownTypesAndOddDimensionsAreRefused() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new Rope("longrope2", 10000, 8, 1, 1, 1, 1, 4, 32, 1, 1, null, null));
        assertThrows(IllegalArgumentException.class, () -> Rope.plain(10000, 7, 128));
    }
}
