package dev.osprey.train.task;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.osprey.model.task.Embedder;
import dev.osprey.model.task.Padded;
import dev.osprey.train.loop.MicroBatchObjective;

/**
 * The objective of {@code --task_type embedding}: every text of the micro-batch's rows embedded in one pass,
 * then ms-swift's {@code infonce} (in-batch negatives plus the rows' hard negatives) or {@code cosine_similarity}.
 */
final class EmbeddingObjective extends MicroBatchObjective<EncodedGroup> {

    private final Embedder embedder;
    private final String lossType;
    private final double temperature;
    private final int padId;

    EmbeddingObjective(Embedder embedder, String lossType, double temperature, int padId) {
        super(embedder.decoder());
        this.embedder = embedder;
        this.lossType = lossType;
        this.temperature = temperature;
        this.padId = padId;
    }

    @Override
    protected long tokens(EncodedGroup group) {
        return group.tokens();
    }

    @Override
    protected Map<String, Double> microStep(
            NDManager m, List<EncodedGroup> batch, int accumulation, Gradients gradients) {
        List<int[]> sequences = new ArrayList<>();
        int[] anchors = new int[batch.size()];
        List<Integer> others = new ArrayList<>();
        int[] positives = new int[batch.size()]; // each anchor's positive, as an index into others
        float[] labels = new float[batch.size()];
        for (int r = 0; r < batch.size(); r++) {
            EncodedGroup g = batch.get(r);
            anchors[r] = sequences.size();
            positives[r] = others.size();
            labels[r] = g.label();
            for (int i = 0; i < g.sequences().size(); i++) {
                if (i > 0) {
                    others.add(sequences.size());
                }
                sequences.add(g.sequences().get(i));
            }
        }
        Padded rows = Padded.right(m, sequences, padId);
        try (GradientCollector collector = gradients.open()) {
            NDArray e = embedder.embed(rows.ids(), rows.mask(), gradients.training()); // (S, H)
            NDArray a = rows(e, anchors); // (B, H)
            NDArray o = rows(e, others.stream().mapToInt(Integer::intValue).toArray()); // (S - B, H)
            ClassificationLoss.Result out = lossType.equals("cosine_similarity")
                    ? EmbeddingLoss.cosineSimilarity(a, rows(o, positives), m.create(labels, new Shape(labels.length)))
                    : EmbeddingLoss.infonce(a, o, m.create(positives), temperature);
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("loss", (double) out.loss().getFloat());
            metrics.putAll(out.metrics());
            gradients.backward(collector, out.loss(), accumulation);
            return metrics;
        }
    }

    /** The rows {@code index} of (S, H), through torch's indexing (autograd follows it). */
    static NDArray rows(NDArray x, int[] index) {
        long[] longs = new long[index.length];
        for (int i = 0; i < index.length; i++) {
            longs[i] = index[i];
        }
        return x.get(x.getManager().create(longs)); // (index.length, H)
    }
}
