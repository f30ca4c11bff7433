package dev.osprey.train.task;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.osprey.model.task.Padded;
import dev.osprey.model.task.SequenceClassifier;
import dev.osprey.train.loop.MicroBatchObjective;

/** The objective of {@code --task_type seq_cls}: the classifier's loss of its {@code problem_type} on each micro-batch. */
final class ClassificationObjective extends MicroBatchObjective<ClassificationExample> {

    private final SequenceClassifier classifier;
    private final String problemType;
    private final int padId;

    ClassificationObjective(SequenceClassifier classifier, String problemType, int padId) {
        super(classifier.decoder());
        this.classifier = classifier;
        this.problemType = problemType;
        this.padId = padId;
    }

    @Override
    protected long tokens(ClassificationExample example) {
        return example.length();
    }

    @Override
    protected Map<String, Double> microStep(
            NDManager m, List<ClassificationExample> batch, int accumulation, Gradients gradients) {
        Padded rows = Padded.right(
                m, batch.stream().map(ClassificationExample::inputIds).toList(), padId);
        NDArray labels = labels(m, batch);
        try (GradientCollector collector = gradients.open()) {
            ClassificationLoss.Result out = ClassificationLoss.compute(
                    classifier.logits(rows.ids(), rows.mask(), gradients.training()), labels, problemType);
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("loss", (double) out.loss().getFloat());
            metrics.putAll(out.metrics());
            gradients.backward(collector, out.loss(), accumulation);
            return metrics;
        }
    }

    /** Single label: the classes (B); otherwise the targets (B, N). */
    private NDArray labels(NDManager m, List<ClassificationExample> batch) {
        int width = batch.get(0).target().length;
        float[] flat = new float[batch.size() * width];
        for (int i = 0; i < batch.size(); i++) {
            System.arraycopy(batch.get(i).target(), 0, flat, i * width, width);
        }
        return problemType.equals(ClassificationLoss.SINGLE_LABEL)
                ? m.create(flat, new Shape(batch.size()))
                : m.create(flat, new Shape(batch.size(), width));
    }
}
