package dev.osprey.models.qwenvl;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.model.spi.ExpertMix;
import dev.osprey.model.spi.ExpertRouting;
import dev.osprey.model.spi.Experts;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Weight;

/**
 * Qwen3-VL-MoE's sparse block: Qwen3-MoE's router and experts ({@link ExpertRouting}'s softmax top-k, renormalised,
 * and {@link ExpertMix}'s dispatch, as the SPI's {@code MixtureOfExperts} runs them), with the experts stored as its
 * checkpoints store them, stacked: {@code experts.gate_up_proj} (E, H, 2·I), gate first, and {@code experts.down_proj}
 * (E, I, H), each expert's {@code x·W} rather than a linear layer's {@code x·Wᵀ}. The router is {@code gate.weight}
 * (E, H). The stacked experts take no LoRA (PEFT targets linear layers), as transformers' do.
 */
final class Qwen3VlMoeExperts implements FeedForward {

    private final Weight router;
    private final Weight gateUp;
    private final Weight down;
    private final ExpertRouting.Rule rule;
    private final List<FeedForward> experts = new ArrayList<>();
    private final String activation;

    /** @param module the block, e.g. {@code model.language_model.layers.0.mlp} */
    Qwen3VlMoeExperts(Parameters p, String module, int hidden, Experts spec, String activation) {
        int count = spec.experts();
        int inter = spec.expertIntermediate();
        this.activation = activation;
        this.router = p.normal(module + ".gate.weight", count, hidden);
        this.gateUp = p.normal(module + ".experts.gate_up_proj", count, hidden, 2L * inter);
        this.down = p.normal(module + ".experts.down_proj", count, inter, hidden);
        // transformers' router renormalises the chosen experts' probabilities whatever norm_topk_prob says
        this.rule = ExpertRouting.Rule.softmaxTopK(spec.topK(), true);
        rule.check(count, "num_experts", "num_experts_per_tok");
        for (int e = 0; e < count; e++) {
            int expert = e;
            experts.add((x, adapter) -> expert(expert, x));
        }
    }

    /** Expert {@code e} on its tokens: (n, H) to (n, H). */
    private NDArray expert(int e, NDArray x) {
        NDArray both = x.matMul(gateUp.get().get(e)); // (n, 2·I)
        NDList halves = both.split(2, 1); // 2 × (n, I)
        return act(halves.get(0)).mul(halves.get(1)).matMul(down.get().get(e)); // (n, H)
    }

    private NDArray act(NDArray x) {
        return VisionTower.activation(activation, x); // silu, as Qwen3-VL-MoE's hidden_act
    }

    @Override
    public NDArray forward(NDArray x, String adapter) {
        Shape shape = x.getShape(); // (B, T, H)
        long hidden = shape.get(2);
        NDArray flat = x.reshape(-1, hidden); // (N, H)
        NDArray logits = flat.matMul(router.get().transpose()).toType(DataType.FLOAT32, false); // (N, E)
        ExpertRouting.Choice choice = rule.choose(logits, null);
        return ExpertMix.mix(flat, choice.chosen(), choice.weights(), experts, adapter)
                .reshape(shape); // (B, T, H)
    }
}
