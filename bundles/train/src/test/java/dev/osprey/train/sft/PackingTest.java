package dev.osprey.train.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** {@code --packing} of rows with media: the samples' tensors and attention blocks one after another. */
class PackingTest {

    private static ExampleMedia media(int patches, float value) {
        float[] pixels = new float[patches * 2];
        java.util.Arrays.fill(pixels, value);
        return new ExampleMedia(Map.of(
                "pixel_values", new ExampleMedia.Array(new long[] {patches, 2}, pixels, null),
                "image_grid_thw", new ExampleMedia.Array(new long[] {1, 3}, null, new long[] {1, patches, 1})));
    }

    @Test
    void packedRowsKeepTheirMediaInOrderAndTheirBlocks() {
        SftExample first = new SftExample(
                new int[] {5, 9, 9, 6, 7},
                new int[] {-100, -100, -100, 6, 7},
                null,
                "a.jsonl:1",
                media(2, 1f),
                new int[] {0, 0, 0, -1, -1});
        SftExample second =
                new SftExample(new int[] {5, 9, 7}, new int[] {-100, -100, 7}, null, "a.jsonl:2", media(1, 2f));
        List<SftExample> packed = Packing.pack(List.of(second, first), 8);
        assertEquals(1, packed.size());
        SftExample row = packed.get(0);
        // the longer sample first (first-fit decreasing), positions restart, the next sample's first label ignored
        assertArrayEquals(new int[] {5, 9, 9, 6, 7, 5, 9, 7}, row.inputIds());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 0, 1, 2}, row.positionIds());
        assertArrayEquals(new int[] {-100, -100, -100, 6, 7, -100, -100, 7}, row.labels());
        assertArrayEquals(new int[] {0, 0, 0, -1, -1, -1, -1, -1}, row.attentionBlocks());
        ExampleMedia.Array pixels = row.media().arrays().get("pixel_values");
        assertArrayEquals(new long[] {3, 2}, pixels.shape());
        assertArrayEquals(new float[] {1, 1, 1, 1, 2, 2}, pixels.floats());
        assertArrayEquals(
                new long[] {1, 2, 1, 1, 1, 1},
                row.media().arrays().get("image_grid_thw").longs());
    }

    @Test
    void samplesWhoseTensorsCannotBeJoinedAreNamed() {
        ExampleMedia other = new ExampleMedia(Map.of(
                "pixel_values", new ExampleMedia.Array(new long[] {1, 3}, new float[3], null),
                "image_grid_thw", new ExampleMedia.Array(new long[] {1, 3}, null, new long[] {1, 1, 1})));
        SftExample a = new SftExample(new int[] {1, 2}, new int[] {-100, 2}, null, "a.jsonl:1", media(1, 1f));
        SftExample b = new SftExample(new int[] {1, 3}, new int[] {-100, 3}, null, "a.jsonl:2", other);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Packing.pack(List.of(a, b), 8));
        assertTrue(
                e.getMessage().contains("a.jsonl:1 +1 packed") && e.getMessage().contains("pixel_values"),
                e.getMessage());
    }
}
