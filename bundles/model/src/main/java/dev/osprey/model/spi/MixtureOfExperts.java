package dev.osprey.model.spi;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.blocks.GatedMlp;

/**
 * A sparse layer as most mixture-of-experts families lay it out: a router ({@code gate.weight}, run in float32)
 * whose {@link ExpertRouting.Rule} picks experts per token, an optional correction bias that only chooses,
 * routed experts ({@code experts.N}, gated MLPs) of which only the chosen run, each once on its tokens
 * ({@link ExpertMix}), and optional shared experts fused into one MLP that every token runs, scaled by a sigmoid
 * gate where the family has one (Qwen2-MoE's {@code shared_expert_gate}). DeepSeek V1/V2/V3, GLM-4-MoE, ERNIE 4.5,
 * dots.llm1, MiniMax-M2 and Ling are this block with their own {@link Spec}.
 */
public final class MixtureOfExperts implements FeedForward {

    /** The experts' gate, up and down projections as most families name them. */
    public static final List<String> GATE_UP_DOWN = List.of("gate_proj", "up_proj", "down_proj");

    /**
     * The config fields a family counts its experts with, named in the errors.
     *
     * @param experts the number of routed experts ({@code n_routed_experts})
     * @param topK experts per token ({@code num_experts_per_tok})
     * @param intermediate each expert's width ({@code moe_intermediate_size})
     * @param sharedExperts the number of shared experts ({@code n_shared_experts}; null where the family has none)
     */
    public record Fields(String experts, String topK, String intermediate, String sharedExperts) {

        /** Mixtral's and Qwen MoE's names (the built-in {@link Blocks#sparseMoe}). */
        public static final Fields QWEN_MOE = new Fields(
                "num_experts", "num_experts_per_tok", "moe_intermediate_size", "shared_expert_intermediate_size");

        /** DeepSeek's names, also GLM-4-MoE's and dots.llm1's. */
        public static final Fields DEEPSEEK =
                new Fields("n_routed_experts", "num_experts_per_tok", "moe_intermediate_size", "n_shared_experts");
    }

    /**
     * The routed experts: {@code experts.N}, gated MLPs without biases.
     *
     * @param count how many
     * @param intermediate each one's width
     * @param activation their {@code hidden_act}
     * @param names each one's gate, up and down projections ({@link #GATE_UP_DOWN}; Mixtral's w1, w3, w2)
     * @param bias biases on their projections
     */
    public record Routed(int count, int intermediate, String activation, List<String> names, boolean bias) {

        public Routed {
            if (names.size() != 3) {
                throw new IllegalArgumentException("an expert has three projections (gate, up, down), named " + names);
            }
            Blocks.checkActivation(activation);
            names = List.copyOf(names);
        }
    }

    /**
     * A correction bias added to the router's scores only to choose ({@code e_score_correction_bias}).
     *
     * @param key its key under the block ({@code gate.e_score_correction_bias})
     * @param row whether the checkpoint stores it as (1, E) rather than (E) (ERNIE)
     */
    public record CorrectionBias(String key, boolean row) {}

    /**
     * The router: {@code E} logits per token from {@code MODULE.weight} (E, H).
     *
     * @param module its module under the block ({@code gate})
     * @param float32 whether the logits are computed in float32 whatever the model's type (DeepSeek, GLM, ERNIE), or
     *     in the model's type and then widened (Mixtral, Qwen MoE, OLMoE)
     */
    public record Router(String module, boolean float32) {

        /** {@code gate}, in float32. */
        public static final Router FLOAT32 = new Router("gate", true);
    }

    /**
     * Shared experts that every token runs, fused into one MLP.
     *
     * @param count how many ({@code n_shared_experts}); 0 for none
     * @param intermediate the width of one (the fused MLP is {@code count} times wider)
     * @param name the fused MLP's module under the block ({@code shared_experts})
     * @param bias biases on its projections
     * @param gated whether a sigmoid gate ({@code shared_expert_gate}, H to 1) scales its output (Qwen2-MoE)
     */
    public record Shared(int count, int intermediate, String name, boolean bias, boolean gated) {}

    /**
     * One family's sparse layer.
     *
     * @param fields the config fields, for the errors
     * @param routed the routed experts
     * @param rule how the router chooses and weights them
     * @param correctionBias the router's correction bias, or null for none
     * @param shared the shared experts, or null for none
     * @param router the router
     */
    public record Spec(
            Fields fields,
            Routed routed,
            ExpertRouting.Rule rule,
            CorrectionBias correctionBias,
            Shared shared,
            Router router) {

        public Spec {
            if (routed.count() <= 0) {
                throw new IllegalArgumentException(
                        "config field '" + fields.experts() + "' must be positive, was " + routed.count());
            }
            rule.check(routed.count(), fields.experts(), fields.topK());
            if (routed.intermediate() <= 0) {
                throw new IllegalArgumentException(
                        "config field '" + fields.intermediate() + "' must be positive, was " + routed.intermediate());
            }
            if (shared != null && shared.count() < 0) {
                throw new IllegalArgumentException(
                        "config field '" + fields.sharedExperts() + "' must not be negative, was " + shared.count());
            }
            if (shared != null && shared.count() > 0 && shared.intermediate() <= 0) {
                throw new IllegalArgumentException(
                        "the shared experts' width must be positive, was " + shared.intermediate());
            }
        }

        /**
         * Routed experts named {@code gate_proj}, {@code up_proj}, {@code down_proj}, without a correction bias or
         * shared experts (add them with the {@code with} methods).
         */
        public static Spec of(
                Fields fields, int experts, int intermediate, String activation, ExpertRouting.Rule rule) {
            return new Spec(
                    fields,
                    new Routed(experts, intermediate, activation, GATE_UP_DOWN, false),
                    rule,
                    null,
                    null,
                    Router.FLOAT32);
        }

        /** This layer with a correction bias under {@code key} of the block, stored as (E), or (1, E) when {@code row}. */
        public Spec withCorrectionBias(String key, boolean row) {
            return new Spec(fields, routed, rule, new CorrectionBias(key, row), shared, router);
        }

        /** This layer with shared experts. */
        public Spec withShared(int count, int intermediate, String name, boolean bias, boolean gated) {
            return new Spec(
                    fields, routed, rule, correctionBias, new Shared(count, intermediate, name, bias, gated), router);
        }

        /** This layer with the experts' gate, up and down projections named {@code names}. */
        public Spec withExpertNames(List<String> names) {
            return new Spec(
                    fields,
                    new Routed(routed.count(), routed.intermediate(), routed.activation(), names, routed.bias()),
                    rule,
                    correctionBias,
                    shared,
                    router);
        }

        /** This layer with its router under {@code module} of the block (Hy3's {@code router.gate}). */
        public Spec withRouter(String module) {
            return new Spec(fields, routed, rule, correctionBias, shared, new Router(module, router.float32()));
        }

        /** This layer with its router's logits in the model's type, widened to float32 after (Mixtral, Qwen MoE). */
        public Spec withRouterInModelType() {
            return new Spec(fields, routed, rule, correctionBias, shared, new Router(router.module(), false));
        }

        /** This layer with biases on the routed experts' projections. */
        public Spec withExpertBias(boolean bias) {
            return new Spec(
                    fields,
                    new Routed(routed.count(), routed.intermediate(), routed.activation(), routed.names(), bias),
                    rule,
                    correctionBias,
                    shared,
                    router);
        }

        /**
         * The routed and shared experts by DeepSeek's fields ({@code n_routed_experts}, {@code moe_intermediate_size},
         * {@code n_shared_experts} fused into {@code shared_experts}), also GLM-4-MoE's and dots.llm1's.
         *
         * @param rule the family's router
         * @param defaultShared {@code n_shared_experts} when the config lacks it
         * @throws IllegalArgumentException naming the config and the field at fault
         */
        public static Spec deepseek(ModelConfig c, ExpertRouting.Rule rule, int defaultShared, String activation) {
            int intermediate = c.requireInt("moe_intermediate_size");
            return MixtureOfExperts.checked(
                    c,
                    () -> of(Fields.DEEPSEEK, c.requireInt("n_routed_experts"), intermediate, activation, rule)
                            .withShared(
                                    c.getInt(defaultShared, "n_shared_experts"),
                                    intermediate,
                                    "shared_experts",
                                    false,
                                    false));
        }

        /** This block in the layers {@code sparse} accepts, {@code dense} in the others. */
        public FeedForwardFactory factory(IntPredicate sparse, FeedForwardFactory dense) {
            return (parameters, module, layer, hidden) -> sparse.test(layer)
                    ? new MixtureOfExperts(parameters, module, layer, hidden, this)
                    : dense.create(parameters, module, layer, hidden);
        }

        /** This block after the first {@code firstDense} layers ({@code first_k_dense_replace}), {@code dense} in those. */
        public FeedForwardFactory afterDense(int firstDense, FeedForwardFactory dense) {
            return factory(layer -> layer >= firstDense, dense);
        }
    }

    /**
     * Builds a part of a family's experts from its config, naming the config in any error.
     *
     * @throws IllegalArgumentException the builder's, prefixed by the config's source
     */
    public static <T> T checked(ModelConfig c, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.source() + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code first_k_dense_replace}: how many first layers keep the dense MLP.
     *
     * @throws IllegalArgumentException naming the config and the field when it is negative
     */
    public static int firstDenseLayers(ModelConfig c, int defaultValue) {
        int firstDense = c.getInt(defaultValue, "first_k_dense_replace");
        if (firstDense < 0) {
            throw new IllegalArgumentException(
                    c.source() + ": config field 'first_k_dense_replace' must not be negative, was " + firstDense);
        }
        return firstDense;
    }

    /**
     * Which layers have experts: transformers' {@code mlp_layer_types} ({@code "dense"} or {@code "sparse"} per layer)
     * when the config has it, else every layer from {@code first_k_dense_replace} on.
     *
     * @param layers {@code num_hidden_layers}
     * @param defaultFirstDense {@code first_k_dense_replace} when the config lacks it
     * @throws IllegalArgumentException naming the config and the field at fault
     */
    public static IntPredicate sparseLayers(ModelConfig c, int layers, int defaultFirstDense) {
        Object types = c.get("mlp_layer_types").orElse(null);
        if (!(types instanceof List<?> list)) {
            int firstDense = firstDenseLayers(c, defaultFirstDense);
            return layer -> layer >= firstDense;
        }
        if (list.size() != layers || !list.stream().allMatch(t -> "dense".equals(t) || "sparse".equals(t))) {
            throw new IllegalArgumentException(c.source() + ": config field 'mlp_layer_types' must name \"dense\" or"
                    + " \"sparse\" for each of the " + layers + " layers, was " + list);
        }
        boolean[] sparse = new boolean[layers];
        for (int i = 0; i < layers; i++) {
            sparse[i] = "sparse".equals(list.get(i));
        }
        return layer -> sparse[layer];
    }

    private final Spec spec;
    private final Weight router;
    private final Weight correctionBias;
    private final List<FeedForward> experts = new ArrayList<>();
    private final FeedForward shared;
    private final Projection sharedGate;

    /** @param block the module name, e.g. {@code model.layers.1.mlp} */
    public MixtureOfExperts(Parameters p, String block, int layer, int hidden, Spec spec) {
        this.spec = spec;
        Routed routed = spec.routed();
        router = p.normal(block + "." + spec.router().module() + ".weight", routed.count(), hidden);
        CorrectionBias bias = spec.correctionBias();
        // a fresh model's bias is zero: it chooses nothing
        correctionBias = bias == null
                ? null
                : bias.row()
                        ? zeroRow(p, block + "." + bias.key(), routed.count())
                        : p.zeros(block + "." + bias.key(), routed.count());
        for (int e = 0; e < routed.count(); e++) {
            experts.add(new GatedMlp(
                    p,
                    block + ".experts." + e,
                    routed.names(),
                    hidden,
                    routed.intermediate(),
                    routed.bias(),
                    false,
                    routed.activation()));
        }
        Shared fused = spec.shared();
        shared = fused != null && fused.count() > 0
                ? new GatedMlp(
                        p,
                        block + "." + fused.name(),
                        routed.names(),
                        hidden,
                        (long) fused.intermediate() * fused.count(),
                        fused.bias(),
                        false,
                        routed.activation())
                : null;
        sharedGate =
                shared != null && fused.gated() ? p.plainLinear(block + ".shared_expert_gate", hidden, 1, false) : null;
    }

    /** A (1, E) weight of zeros ({@link Parameters#zeros} makes vectors only). */
    private static Weight zeroRow(Parameters p, String key, int experts) {
        Weight row = p.normal(key, 1, experts);
        row.get().set(new NDIndex(":"), 0f); // (1, E)
        return row;
    }

    @Override
    public NDArray forward(NDArray x, String adapter) {
        Shape shape = x.getShape(); // (B, T, H)
        long hidden = shape.get(2);
        int tokens = Math.toIntExact(shape.get(0) * shape.get(1));
        NDArray flat = x.reshape(tokens, hidden); // (N, H)
        NDArray logits = spec.router().float32()
                ? flat.toType(DataType.FLOAT32, false)
                        .matMul(router.get().toType(DataType.FLOAT32, false).transpose())
                : flat.matMul(router.get().transpose()).toType(DataType.FLOAT32, false); // (N, E)
        ExpertRouting.Choice choice = spec.rule().choose(logits, correctionBias == null ? null : correctionBias.get());
        NDArray mixed = ExpertMix.mix(flat, choice.chosen(), choice.weights(), experts, adapter); // (N, H)
        if (shared != null) {
            NDArray out = shared.forward(flat, adapter); // (N, H)
            if (sharedGate != null) {
                out = out.mul(Activation.sigmoid(sharedGate.forward(flat, null))); // (N, H) · (N, 1)
            }
            mixed = mixed.add(out);
        }
        return mixed.reshape(shape); // (B, T, H)
    }
}
