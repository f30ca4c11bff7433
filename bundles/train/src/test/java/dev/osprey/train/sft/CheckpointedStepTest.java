package dev.osprey.train.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.Losses;

/** Activation checkpointing must give the gradients of the plain backward pass, for LoRA and full tuning. */
class CheckpointedStepTest {

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private List<SftExample> examples() {
        List<SftExample> list = new ArrayList<>();
        list.add(new SftExample(new int[] {1, 3, 4, 5, 2, 7}, new int[] {-100, -100, 4, 5, 2, 7}, "a"));
        list.add(new SftExample(new int[] {1, 6, 7, 2}, new int[] {-100, 6, 7, 2}, "b"));
        return list;
    }

    private static Map<String, float[]> gradients(Map<String, NDArray> trainable) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        trainable.forEach((k, v) -> {
            out.put(k, v.getGradient().toFloatArray());
            v.getGradient().subi(v.getGradient()); // zero for the next pass
        });
        return out;
    }

    private void compare(
            DecoderModel model, String adapter, Map<String, NDArray> trainable, List<SftExample> examples) {
        Batch batch = Batch.of(manager, examples, 0);
        float plainLoss;
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray loss = Losses.causalLm(
                    model.forward(ForwardRequest.builder(batch.inputIds())
                                    .optAttentionMask(batch.attentionMask())
                                    .optPositionIds(batch.positionIds())
                                    .optAdapter(adapter)
                                    .optTraining(true)
                                    .build())
                            .logits(),
                    batch.labels());
            plainLoss = loss.getFloat();
            collector.backward(loss);
        }
        Map<String, float[]> plain = gradients(trainable);
        double[] result = CheckpointedStep.run(model, adapter, manager, batch, 1, 9);
        Map<String, float[]> checkpointed = gradients(trainable);
        assertEquals(plainLoss, result[0], 1e-6);
        plain.forEach((name, g) -> assertArrayEquals(g, checkpointed.get(name), 1e-5f, name));
    }

    @Test
    void loraGradientsEqualThePlainBackwardPass() throws Exception {
        DecoderModel model = TinyChatModel.model(manager, TinyChatModel.folder(dir));
        new LoraConfig(4, 8, Set.of(LoraConfig.ALL_LINEAR), false, true)
                .attach(model.linears(), "a", manager, 2); // DoRA: magnitudes too
        model.linears().forEach(l -> l.adapter("a").b().addi(0.05f));
        Map<String, NDArray> trainable = LoraConfig.trainable(model.linears(), "a");
        compare(model, "a", trainable, examples());
        compare(model, "a", trainable, Packing.pack(examples(), 16)); // packed positions and masks too
    }

    @Test
    void fullTuningGradientsEqualThePlainBackwardPass() throws Exception {
        DecoderModel model = TinyChatModel.model(manager, TinyChatModel.folder(dir));
        Map<String, NDArray> trainable = new java.util.LinkedHashMap<>();
        model.parameters().forEach((k, v) -> {
            v.setRequiresGradient(true);
            trainable.put(k, v);
        });
        compare(model, null, trainable, examples());
    }
}
