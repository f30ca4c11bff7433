package dev.osprey.model.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.TinyModels;
import dev.osprey.model.decoder.DecoderModel;

class GeneratorTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    /** Greedy decoding the slow way: a full forward pass over the whole sequence for every token. */
    private int[] referenceGreedy(DecoderModel model, int[] prompt, int n) {
        List<Integer> seq = new ArrayList<>();
        for (int t : prompt) {
            seq.add(t);
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            long[] ids = seq.stream().mapToLong(Integer::longValue).toArray();
            NDArray logits = model.forward(ForwardRequest.builder(manager.create(ids, new Shape(1, ids.length)))
                            .build())
                    .logits();
            out[i] = LogitsProcessor.argmax(logits.get(new NDIndex("0, -1, :")).toFloatArray());
            seq.add(out[i]);
        }
        return out;
    }

    @Test
    void greedyBatchedWithACacheEqualsTheSlowReferenceForEveryRow() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 11);
        List<int[]> prompts = List.of(new int[] {5, 9, 13, 2, 7}, new int[] {40, 3}, new int[] {8});
        List<Integer> streamed = new ArrayList<>();
        List<Generator.Result> results =
                Generator.generate(model, prompts, GenerationOptions.greedy(6, Set.of()), null, null, (row, token) -> {
                    if (row == 1) {
                        streamed.add(token);
                    }
                });
        for (int r = 0; r < prompts.size(); r++) {
            assertArrayEquals(
                    referenceGreedy(model, prompts.get(r), 6), results.get(r).tokens(), "row " + r);
            assertEquals("length", results.get(r).finishReason());
        }
        assertEquals(
                List.of(
                        results.get(1).tokens()[0],
                        results.get(1).tokens()[1],
                        results.get(1).tokens()[2],
                        results.get(1).tokens()[3],
                        results.get(1).tokens()[4],
                        results.get(1).tokens()[5]),
                streamed);
    }

    @Test
    void eosAndStopStringsEndASequence() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 12);
        int[] prompt = {1, 2, 3};
        int[] free = Generator.generate(model, List.of(prompt), GenerationOptions.greedy(8, Set.of()), null, null, null)
                .get(0)
                .tokens();
        Generator.Result stopped = Generator.generate(
                        model, List.of(prompt), GenerationOptions.greedy(8, Set.of(free[2])), null, null, null)
                .get(0);
        assertEquals("stop", stopped.finishReason());
        int firstEos = 0;
        while (free[firstEos] != free[2]) {
            firstEos++;
        }
        assertEquals(firstEos + 1, stopped.tokens().length);

        // a decoder that spells token t as the letter 'a' + t % 26
        java.util.function.Function<int[], String> letters = ids -> {
            StringBuilder s = new StringBuilder();
            for (int id : ids) {
                s.append((char) ('a' + id % 26));
            }
            return s.toString();
        };
        String stop = letters.apply(new int[] {free[1], free[2]});
        GenerationOptions withStop =
                new GenerationOptions(8, false, 1, 0, 1, 0, 1, 0, 0, 0, Set.of(), Set.of(), List.of(stop));
        Generator.Result cut = Generator.generate(model, List.of(prompt), withStop, null, letters, null)
                .get(0);
        assertEquals("stop", cut.finishReason());
        assertFalse(cut.text().contains(stop), cut.text());
        assertTrue(letters.apply(cut.tokens()).contains(stop));
    }

    @Test
    void samplingIsRepeatableWithASeed() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 13);
        GenerationOptions sample =
                new GenerationOptions(10, true, 1.5, 20, 0.95, 0.0, 1.1, 0, 0, 7, Set.of(), Set.of(), List.of());
        int[] a = Generator.generate(model, List.of(new int[] {4, 5}), sample, null, null, null)
                .get(0)
                .tokens();
        int[] b = Generator.generate(model, List.of(new int[] {4, 5}), sample, null, null, null)
                .get(0)
                .tokens();
        assertArrayEquals(a, b);
    }

    @Test
    void rowsOfOnePromptSampleDifferentPathsAndTheFirstRowMatchesASingleRequest() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 13);
        // the first token of each row: what one draw decides
        GenerationOptions sample =
                new GenerationOptions(1, true, 1.5, 0, 1, 0.0, 1, 0, 0, 1000, Set.of(), Set.of(), List.of());
        List<int[]> prompts = java.util.Collections.nCopies(8, new int[] {4, 5});
        List<Generator.Result> rows = Generator.generate(model, prompts, sample, null, null, null);
        long distinct = rows.stream()
                .map(r -> java.util.Arrays.toString(r.tokens()))
                .distinct()
                .count();
        // with seeds 1000..1007 straight into java.util.Random the rows draw alike (first draws agree to 3 digits)
        org.junit.jupiter.api.Assertions.assertTrue(distinct >= 3, "distinct completions: " + distinct);
        assertArrayEquals(
                Generator.generate(model, List.of(new int[] {4, 5}), sample, null, null, null)
                        .get(0)
                        .tokens(),
                rows.get(0).tokens());
    }

    @Test
    void logitsProcessorsFollowTheirDefinitions() {
        GenerationOptions penalty =
                new GenerationOptions(1, false, 1, 0, 1, 0, 2.0, 0, 0, 0, Set.of(), Set.of(), List.of());
        float[] logits = {4f, -1f, 3f};
        // token 0 (positive) is divided by 2, token 1 (negative) multiplied by 2, once each though repeated
        assertEquals(2, LogitsProcessor.next(logits, new int[] {0, 0, 1}, Map.of(), penalty, new Random(0)));
        assertArrayEquals(new float[] {2f, -2f, 3f}, logits);

        GenerationOptions presence =
                new GenerationOptions(1, false, 1, 0, 1, 0, 1, 0.5, 1.0, 0, Set.of(), Set.of(), List.of());
        float[] l2 = {3f, 2.9f};
        assertEquals(1, LogitsProcessor.next(l2, new int[0], Map.of(0, 2), presence, new Random(0)));
        assertEquals(3f - 0.5f - 2f, l2[0], 1e-6);

        GenerationOptions topK1 = new GenerationOptions(1, true, 1, 1, 1, 0, 1, 0, 0, 0, Set.of(), Set.of(), List.of());
        for (int seed = 0; seed < 20; seed++) {
            assertEquals(
                    1, LogitsProcessor.next(new float[] {1f, 5f, 2f}, new int[0], Map.of(), topK1, new Random(seed)));
        }
        // top-p 0.5 keeps only the most likely of these; min-p 0.5 drops tokens under half its probability
        GenerationOptions topP =
                new GenerationOptions(1, true, 1, 0, 0.5, 0, 1, 0, 0, 0, Set.of(), Set.of(), List.of());
        GenerationOptions minP =
                new GenerationOptions(1, true, 1, 0, 1, 0.5, 1, 0, 0, 0, Set.of(), Set.of(), List.of());
        for (int seed = 0; seed < 20; seed++) {
            assertEquals(
                    2, LogitsProcessor.next(new float[] {0f, 0f, 3f}, new int[0], Map.of(), topP, new Random(seed)));
            assertEquals(
                    2, LogitsProcessor.next(new float[] {0f, 0f, 3f}, new int[0], Map.of(), minP, new Random(seed)));
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> new GenerationOptions(1, true, 0, 0, 1, 0, 1, 0, 0, 0, Set.of(), Set.of(), List.of()));
    }
}
