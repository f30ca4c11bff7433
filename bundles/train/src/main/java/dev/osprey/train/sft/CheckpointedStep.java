package dev.osprey.train.sft;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.Losses;
import dev.osprey.model.nn.TrainingMode;

/**
 * One micro-step with activation checkpointing ({@code --gradient_checkpointing}), as
 * {@code torch.utils.checkpoint} does per decoder layer: the forward pass keeps only each layer's input
 * (no graph), the loss is taken from the last one, and the backward pass runs each layer again with
 * gradients, from the last to the first, feeding it the gradient of its output (a vector-Jacobian product:
 * backward of {@code sum(output * grad)}). Peak memory is then one layer's graph, not the whole model's
 * — which matters most for QLoRA, where every layer's graph would otherwise hold its dequantized weight.
 * Each layer draws the same dropout masks in both passes (the engine's generator is re-seeded per layer).
 */
final class CheckpointedStep {

    private CheckpointedStep() {}

    /** @return {mean loss, trained tokens} */
    static double[] run(
            DecoderModel model, String adapter, NDManager parent, Batch batch, int accumulation, long seed) {
        ForwardRequest request = ForwardRequest.builder(batch.inputIds())
                .optAttentionMask(batch.attentionMask())
                .optPositionIds(batch.positionIds())
                .optMedia(batch.media())
                .optAttentionBlocks(batch.attentionBlocks())
                .optAdapter(adapter)
                .optTraining(true)
                .build();
        return TrainingMode.during(true, () -> {
            int layers = model.layerCount();
            DecoderModel.LayerPass pass = withoutGraphs(model.beginLayers(request));
            NDArray[] inputs = new NDArray[layers + 1]; // (B, T, H) each, without graphs
            inputs[0] = pass.embeddings().stopGradient();
            for (int i = 0; i < layers; i++) {
                seedLayer(parent, seed, i);
                try (NDScope layer = new NDScope()) {
                    layer.suppressNotUsedWarning();
                    inputs[i + 1] = model.layer(i, inputs[i], pass).stopGradient();
                    NDScope.unregister(inputs[i + 1]);
                }
            }
            double loss;
            NDArray gradient; // d loss / d layer output, (B, T, H)
            try (GradientCollector collector = newCollector()) {
                NDArray last = inputs[layers];
                last.setRequiresGradient(true);
                NDArray logits = model.head(last, pass); // (B, T, V)
                NDArray value = Losses.causalLm(logits, batch.labels());
                logits.close(); // the backward pass needs only the log-probabilities autograd kept
                loss = value.getFloat();
                collector.backward(Scalars.div(value, accumulation));
                gradient = last.getGradient().duplicate();
            }
            // d loss / d (what the media stage adds to layer i's output), Qwen3-VL's DeepStack: layer i's output's
            NDArray[] addedGradients = new NDArray[pass.layerAdditions().size()];
            for (int i = layers - 1; i >= 0; i--) {
                if (i < addedGradients.length) {
                    addedGradients[i] = gradient;
                }
                seedLayer(parent, seed, i);
                try (NDScope layer = new NDScope();
                        GradientCollector collector = newCollector()) {
                    layer.suppressNotUsedWarning();
                    NDArray input = inputs[i];
                    input.setRequiresGradient(true);
                    NDArray output = model.layer(i, input, pass); // recomputed, with its graph this time
                    collector.backward(output.mul(gradient).sum());
                    gradient = input.getGradient().duplicate();
                    NDScope.unregister(gradient);
                }
            }
            // full tuning: the token embeddings, and a multimodal model's vision tower and aligner when trained,
            // recomputed with their graph (checkpointed as a layer is)
            if (embeddingsTrained(model)) {
                try (GradientCollector collector = newCollector()) {
                    DecoderModel.LayerPass again = model.beginLayers(request);
                    NDArray total = again.embeddings().mul(gradient).sum();
                    for (int i = 0; i < addedGradients.length; i++) {
                        total = total.add(again.layerAdditions()
                                .get(i)
                                .mul(addedGradients[i])
                                .sum());
                    }
                    collector.backward(total);
                }
            }
            return new double[] {loss, batch.trainedTokens()};
        });
    }

    /**
     * The pass with its layer additions (DeepStack) cut from their graphs: the layers' recomputations must not
     * reach the vision tower, which the last step reaches once, as it does the embeddings.
     */
    private static DecoderModel.LayerPass withoutGraphs(DecoderModel.LayerPass pass) {
        if (pass.layerAdditions().isEmpty()) {
            return pass;
        }
        return new DecoderModel.LayerPass(
                pass.embeddings(),
                pass.cosSin(),
                pass.bias(),
                pass.adapter(),
                pass.together(),
                pass.layerAdditions().stream().map(NDArray::stopGradient).toList(),
                pass.padding());
    }

    /**
     * Whether a parameter before the first layer trains: the token table, or a multimodal model's vision tower or
     * aligner ({@code MultimodalKeys}).
     */
    private static boolean embeddingsTrained(DecoderModel model) {
        String table = model.layout().keys().embedTokens() + ".weight";
        var keys = model.multimodalKeys();
        return model.parameters().entrySet().stream()
                .filter(p -> p.getKey().equals(table)
                        || keys.flatMap(k -> k.moduleOf(p.getKey()))
                                .filter(m -> !m.equals(MultimodalKeys.LANGUAGE_MODEL))
                                .isPresent())
                .anyMatch(p -> p.getValue().hasGradient());
    }

    private static GradientCollector newCollector() {
        return Engine.getEngine("PyTorch").newGradientCollector();
    }

    private static void seedLayer(NDManager manager, long seed, int layer) {
        manager.getEngine().setRandomSeed((int) (seed * 7919L + layer));
    }
}
