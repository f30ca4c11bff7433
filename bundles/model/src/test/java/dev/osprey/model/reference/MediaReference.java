package dev.osprey.model.reference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.ForwardResult;
import dev.osprey.api.model.KvCache;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.model.load.HfModel;

/** What the multimodal families' reference tests share: fixture arrays and greedy decoding with media. */
public final class MediaReference {

    private MediaReference() {}

    /**
     * Greedy decoding: the prompt with its media through the cache, then one token per step (EOS ends a row).
     *
     * @param prompt (B, T) token ids, left-padded
     * @param promptMask (B, T) 1 for real tokens
     */
    public static List<long[]> decode(
            HfModel model, NDManager manager, long[][] prompt, long[][] promptMask, MediaTensors media, int newTokens) {
        int batch = prompt.length;
        List<List<Long>> out = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            out.add(new ArrayList<>());
        }
        boolean[] done = new boolean[batch];
        long eos = model.generationConfig().eosTokenIds().get(0);
        try (NDManager scope = manager.newSubManager();
                KvCache cache = model.model().newCache(batch)) {
            long[][] attention = promptMask;
            ForwardResult step = model.model()
                    .forward(ForwardRequest.builder(scope.create(flat(prompt), new Shape(batch, prompt[0].length)))
                            .optAttentionMask(scope.create(flat(attention), new Shape(batch, prompt[0].length)))
                            .optMedia(media)
                            .optCache(cache)
                            .optLastPositionOnly(true)
                            .build());
            for (int n = 0; n < newTokens; n++) {
                long[] next =
                        step.logits().argMax(-1).toType(DataType.INT64, false).toLongArray(); // (B, 1) -> (B)
                for (int b = 0; b < batch; b++) {
                    if (!done[b]) {
                        out.get(b).add(next[b]);
                        done[b] = next[b] == eos;
                    }
                }
                long[][] grown = new long[batch][];
                for (int b = 0; b < batch; b++) {
                    grown[b] = Arrays.copyOf(attention[b], attention[b].length + 1);
                    grown[b][attention[b].length] = 1;
                }
                attention = grown;
                step = model.model()
                        .forward(ForwardRequest.builder(scope.create(next, new Shape(batch, 1)))
                                .optAttentionMask(scope.create(flat(attention), new Shape(batch, attention[0].length)))
                                .optCache(cache)
                                .optLastPositionOnly(true)
                                .build());
            }
        }
        List<long[]> tokens = new ArrayList<>();
        for (List<Long> row : out) {
            tokens.add(row.stream().mapToLong(Long::longValue).toArray());
        }
        return tokens;
    }

    /** A JSON array of integer arrays. */
    public static long[][] matrix(JsonNode node) {
        long[][] m = new long[node.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = longs(node.get(i));
        }
        return m;
    }

    /** A JSON array of integers. */
    public static long[] longs(JsonNode node) {
        long[] v = new long[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = node.get(i).asLong();
        }
        return v;
    }

    /** The rows of a rectangular matrix one after another; empty for no rows. */
    public static long[] flat(long[][] m) {
        if (m.length == 0) {
            return new long[0];
        }
        long[] v = new long[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, v, i * m[0].length, m[0].length);
        }
        return v;
    }
}
