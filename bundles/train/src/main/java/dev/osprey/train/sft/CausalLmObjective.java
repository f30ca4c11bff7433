package dev.osprey.train.sft;

import java.util.List;
import java.util.Map;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.Losses;
import dev.osprey.train.loop.Objective;
import dev.osprey.train.loop.StepWork;
import dev.osprey.train.loop.TrainerOptions;

/**
 * The objective of pre-training and supervised fine-tuning: the causal language-model loss, the mean over
 * the trained tokens of each micro-batch, divided by the accumulation steps. With activation checkpointing
 * on a decoder model it runs {@link CheckpointedStep}.
 */
public final class CausalLmObjective implements Objective<SftExample> {

    private final LanguageModel model;
    private final String adapter;
    private final int padId;
    private final boolean gradientCheckpointing;

    /**
     * @param adapter the LoRA adapter to train through, or null for full fine-tuning
     * @param padId the id padding positions carry
     * @param gradientCheckpointing {@code --gradient_checkpointing}: recompute each layer in the backward pass
     *        instead of keeping every layer's graph (decoder models only: refused for any other)
     */
    public CausalLmObjective(LanguageModel model, String adapter, int padId, boolean gradientCheckpointing) {
        if (gradientCheckpointing && !(model instanceof DecoderModel)) {
            // recomputation goes layer by layer, which only a decoder of the SPI exposes
            throw new IllegalArgumentException(TrainingRuns.notADecoder(model, "--gradient_checkpointing"));
        }
        this.model = model;
        this.adapter = adapter;
        this.padId = padId;
        this.gradientCheckpointing = gradientCheckpointing;
    }

    @Override
    public StepWork prepare(long step, List<SftExample> items, TrainerOptions options) {
        int accumulation = options.gradientAccumulation();
        long seed = options.seed() * 1_000_003L + step;
        return StepWork.inBatches(
                items,
                options.batchSize(),
                items.stream().mapToLong(SftExample::trainedTokens).sum(),
                (part, m) -> {
                    Batch batch = Batch.of(m, part, padId);
                    if (gradientCheckpointing && model instanceof DecoderModel decoder) {
                        return Map.of("loss", CheckpointedStep.run(decoder, adapter, m, batch, accumulation, seed)[0]);
                    }
                    try (GradientCollector collector =
                            Engine.getEngine("PyTorch").newGradientCollector()) {
                        NDArray logits = batch.logits(model, adapter, true); // (B, T, V)
                        NDArray loss = Losses.causalLm(logits, batch.labels());
                        logits.close(); // the backward pass needs only the log-probabilities autograd kept
                        float value = loss.getFloat();
                        collector.backward(Scalars.div(loss, accumulation));
                        return Map.of("loss", (double) value);
                    }
                });
    }

    /**
     * The loss on held-out examples, without gradients: the mean over every trained token (not the mean
     * of batch means), as the Trainer's eval_loss with token-level averaging.
     */
    @Override
    public Map<String, Double> evaluate(List<SftExample> examples, int batchSize) {
        NDManager parent = model.parameters().values().iterator().next().getManager();
        double weighted = 0;
        long tokens = 0;
        for (int from = 0; from < examples.size(); from += batchSize) {
            List<SftExample> part = examples.subList(from, Math.min(examples.size(), from + batchSize));
            try (NDScope scope = new NDScope();
                    NDManager m = parent.newSubManager()) {
                scope.suppressNotUsedWarning();
                Batch batch = Batch.of(m, part, padId);
                if (batch.trainedTokens() == 0) {
                    continue;
                }
                weighted += Losses.causalLm(batch.logits(model, adapter, false), batch.labels())
                                .getFloat()
                        * batch.trainedTokens();
                tokens += batch.trainedTokens();
            }
        }
        return Map.of("loss", tokens == 0 ? Double.NaN : weighted / tokens);
    }
}
