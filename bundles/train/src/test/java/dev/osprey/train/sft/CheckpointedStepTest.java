package dev.osprey.train.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.Losses;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.MediaStageFactory;
import dev.osprey.model.spi.StagedInputs;
import dev.osprey.model.spi.Weight;

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

    /**
     * What a media stage adds to the first layers' outputs (Qwen3-VL's DeepStack) gets the plain pass's gradients,
     * and so do the stage's own parameters, which reach the loss only through those additions.
     */
    @Test
    void layerAdditionsOfAMediaStageGetThePlainBackwardPassGradients() throws Exception {
        HfConfig hf =
                HfConfig.of(TinyChatModel.config(), TinyChatModel.folder(dir).resolve("config.json"));
        DecoderModel model = (DecoderModel) new StackedFamily().build(hf, manager);
        Map<String, NDArray> trainable = new java.util.LinkedHashMap<>();
        model.parameters().forEach((k, v) -> {
            v.setRequiresGradient(true);
            trainable.put(k, v);
        });
        assertTrue(
                trainable.containsKey("visual.deep.1.weight"),
                trainable.keySet().toString());
        compare(model, null, trainable, examples());
    }

    /** The tiny Qwen2 with a stage that adds tanh(h·Wₖᵀ) of the embeddings to the output of layer k. */
    private static final class StackedFamily extends DecoderFamily {

        @Override
        public String name() {
            return "stacked_test";
        }

        @Override
        public String description() {
            return "a decoder with layer additions";
        }

        @Override
        public Set<String> architectures() {
            return Set.of();
        }

        @Override
        public DecoderLayout layout(ModelConfig c) {
            LlamaLikeConfig l = LlamaLikeConfig.read(c, false, "silu");
            return l.layout(Blocks.attention(l.attention(true, false)), l.gatedMlp(false));
        }

        @Override
        public MediaStageFactory mediaStage(ModelConfig c) {
            return p -> {
                List<Weight> deep =
                        List.of(p.normal("visual.deep.0.weight", 64, 64), p.normal("visual.deep.1.weight", 64, 64));
                return (request, embeddings, positions) -> new StagedInputs(
                        embeddings,
                        positions,
                        null,
                        null,
                        deep.stream()
                                .map(w -> embeddings.matMul(w.get().transpose()).tanh()) // (B, T, H)
                                .toList());
            };
        }

        @Override
        public MultimodalKeys multimodalKeys(ModelConfig c) {
            return new MultimodalKeys(List.of("model", "lm_head"), List.of(), List.of("visual"));
        }
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
