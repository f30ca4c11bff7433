package dev.osprey.train.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.task.SequenceClassifier;

/**
 * transformers' {@code Qwen2ForSequenceClassification} and {@code LlamaForSequenceClassification} checkpoints
 * (no lm_head) give the logits transformers computed, the loss of each problem_type, and, with a PEFT SEQ_CLS
 * adapter (LoRA plus the score head in modules_to_save), the adapted logits.
 */
class SequenceClassifierTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"seq-cls-qwen2", "seq-cls-llama"})
    void logitsAndLossesMatchTransformers(String name) throws Exception {
        JsonNode ref = TaskFixtures.reference(name);
        try (HfModel model = TaskFixtures.load(name, manager)) {
            DecoderModel decoder = (DecoderModel) model.model();
            SequenceClassifier classifier = SequenceClassifier.load(decoder, TaskFixtures.ROOT.resolve(name), null);
            assertEquals(3, classifier.numLabels());
            NDArray ids = TaskFixtures.array(manager, ref.get("input_ids"), DataType.INT64);
            NDArray mask = TaskFixtures.array(manager, ref.get("attention_mask"), DataType.INT64);
            NDArray logits = classifier.logits(ids, mask, false);
            assertClose(TaskFixtures.array(manager, ref.get("logits"), DataType.FLOAT32), logits, 1e-4);
            var losses = ref.get("losses").fields();
            while (losses.hasNext()) {
                Map.Entry<String, JsonNode> e = losses.next();
                DataType labelType =
                        e.getKey().equals(ClassificationLoss.SINGLE_LABEL) ? DataType.INT64 : DataType.FLOAT32;
                NDArray labels = TaskFixtures.array(manager, e.getValue().get("labels"), labelType);
                double loss = ClassificationLoss.compute(logits, labels, e.getKey())
                        .loss()
                        .getFloat();
                assertEquals(e.getValue().get("loss").asDouble(), loss, 1e-4, e.getKey());
            }

            PeftAdapter.attach(TaskFixtures.ROOT.resolve(name).resolve("adapter"), decoder.linears(), "cls", manager);
            SequenceClassifier adapted = SequenceClassifier.load(
                    decoder, TaskFixtures.ROOT.resolve(name).resolve("adapter"), "cls");
            assertClose(
                    TaskFixtures.array(manager, ref.get("lora").get("logits"), DataType.FLOAT32),
                    adapted.logits(ids, mask, false),
                    1e-4);
        }
    }

    static void assertClose(NDArray expected, NDArray actual, double tolerance) {
        assertEquals(expected.getShape(), actual.getShape());
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(e[i] - a[i]) <= tolerance, "element " + i + ": expected " + e[i] + ", got " + a[i]);
        }
    }
}
