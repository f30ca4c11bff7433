package dev.osprey.model.spi;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.blocks.GatedMlp;
import dev.osprey.model.blocks.ModuleParameters;
import dev.osprey.model.blocks.StandardAttention;
import dev.osprey.model.nn.Params;
import dev.osprey.model.nn.RmsNorm;
import dev.osprey.model.nn.Rope;
import dev.osprey.model.nn.TrainingMode;

/** The block kinds the platform has built in, as factories a {@link DecoderLayout} takes. */
public final class Blocks {

    /** The activations the built-in MLPs know ({@code hidden_act}). */
    public static final Set<String> ACTIVATIONS = Set.of("silu", "gelu_pytorch_tanh", "gelu");

    private static final List<String> MLP_NAMES = List.of("gate_proj", "up_proj", "down_proj");

    private Blocks() {}

    /** Multi-head / grouped-query attention as {@code spec} describes it. */
    public static AttentionFactory attention(AttentionSpec spec) {
        return (parameters, module, layer, hidden) -> new StandardAttention(parameters, module, hidden, spec);
    }

    /** Multi-head / grouped-query attention as {@code spec} describes it, its projections named {@code names}. */
    public static AttentionFactory attention(AttentionSpec spec, ProjectionNames names) {
        return (parameters, module, layer, hidden) -> new StandardAttention(parameters, module, hidden, spec, names);
    }

    /**
     * {@code down_proj(act(gate_proj(x)) * up_proj(x))}: SwiGLU ({@code silu}) or GeGLU ({@code gelu_pytorch_tanh},
     * tanh-approximated GELU as {@code gelu} in these families).
     *
     * @param intermediate the MLP width ({@code intermediate_size})
     * @param bias biases on the three projections ({@code mlp_bias})
     * @param fusedGateUp gate and up stored as one {@code gate_up_proj}, gate first (Phi-3)
     * @param activation {@code hidden_act}
     * @throws IllegalArgumentException naming an activation the built-in MLP lacks
     */
    public static FeedForwardFactory gatedMlp(int intermediate, boolean bias, boolean fusedGateUp, String activation) {
        checkActivation(activation);
        if (intermediate <= 0) {
            throw new IllegalArgumentException(
                    "config field 'intermediate_size' must be positive, was " + intermediate);
        }
        return (parameters, module, layer, hidden) ->
                new GatedMlp(parameters, module, MLP_NAMES, hidden, intermediate, bias, fusedGateUp, activation);
    }

    /**
     * Top-k routed experts (Mixtral, Qwen MoE, OLMoE): a softmax router ({@code gate}) in the model's type, the top
     * {@code topK} renormalised when {@code normTopkProb}, and Qwen2-MoE's {@code shared_expert} scaled by its sigmoid
     * {@code shared_expert_gate}; a {@link MixtureOfExperts}. Only the chosen experts run, each once on its tokens.
     *
     * @param experts the experts and which layers stay dense
     * @param bias biases on the experts' projections
     * @param activation the experts' {@code hidden_act}
     * @param dense the block of the layers in {@link Experts#denseLayers()}
     */
    public static FeedForwardFactory sparseMoe(
            Experts experts, boolean bias, String activation, FeedForwardFactory dense) {
        MixtureOfExperts.Spec spec = MixtureOfExperts.Spec.of(
                        MixtureOfExperts.Fields.QWEN_MOE,
                        experts.experts(),
                        experts.expertIntermediate(),
                        activation,
                        ExpertRouting.Rule.softmaxTopK(experts.topK(), experts.normTopkProb()))
                .withExpertNames(experts.expertNames())
                .withExpertBias(bias)
                .withRouterInModelType()
                .withShared(
                        experts.sharedExpertIntermediate() > 0 ? 1 : 0,
                        experts.sharedExpertIntermediate(),
                        "shared_expert",
                        bias,
                        true);
        return spec.factory(layer -> !experts.denseLayers().contains(layer), dense);
    }

    /**
     * RMSNorm: {@code x / sqrt(mean(x²) + eps) * (offset + weight)} in float32, its scale {@code MODULE.weight}.
     *
     * @param eps {@code rms_norm_eps}
     * @param offset 1 when the checkpoint stores {@code w - 1} (Gemma), else 0
     */
    public static NormFactory rmsNorm(double eps, float offset) {
        return (parameters, module, size) -> {
            String key = module + ".weight";
            return new RmsNorm(offset == 0f ? parameters.ones(key, size) : parameters.zeros(key, size), eps, offset);
        };
    }

    /**
     * The rotary embedding a config describes: {@code rope_theta} with {@code rope_scaling} or
     * {@code rope_parameters} of type default, linear, dynamic (NTK; HunYuan's {@code alpha}), yarn, llama3
     * or longrope (Phi-3's {@code su}), over {@code partial_rotary_factor} of each head.
     *
     * @throws IllegalArgumentException naming a rope type the platform lacks
     */
    public static RotaryEmbedding rope(ModelConfig config, int headDim) {
        return Rope.from(config, headDim);
    }

    /** Unscaled rotary embeddings over {@code dim} features of each head. */
    public static RotaryEmbedding plainRope(double theta, int dim, int maxPositions) {
        return Rope.plain(theta, dim, maxPositions);
    }

    /**
     * The parameters of a model that implements {@code LanguageModel} itself: declared by checkpoint key,
     * initialised as {@link Parameters} says (each drawn when first read, seeded by {@code seed} and its index).
     *
     * @param manager owns every parameter array
     * @param dataType FLOAT32 (or FLOAT16)
     * @param initStd the standard deviation of initial weights ({@code initializer_range})
     */
    public static ParameterStore parameters(NDManager manager, DataType dataType, long seed, double initStd) {
        return new ModuleParameters(new Params(manager, dataType, seed, initStd));
    }

    /**
     * Runs a training forward pass of a model that implements {@code LanguageModel} itself (a request whose
     * {@code training()} is true): the platform's layers inside it train (LoRA's {@code lora_dropout} applies
     * only here), as the built-in decoder runs its own.
     */
    public static <T> T trainingPass(Supplier<T> pass) {
        return TrainingMode.during(true, pass);
    }

    /**
     * Runs one block of a stack and frees what it made except its output, which goes on in the caller's
     * {@link NDScope}: a tower of many blocks then holds one block's intermediates at a time instead of all of them
     * until the pass ends (a 2B-shaped Qwen2-VL vision tower made about 4 GB of them per 448-pixel image). Training
     * loses nothing: autograd keeps its own references to what the backward pass needs.
     */
    public static NDArray freeingIntermediates(Supplier<NDArray> block) {
        NDArray out;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            out = block.get();
            NDScope.unregister(out);
        }
        NDScope.register(out);
        return out;
    }

    static void checkActivation(String activation) {
        if (!ACTIVATIONS.contains(activation)) {
            throw new IllegalArgumentException(
                    "hidden_act '" + activation + "' is not supported; supported: silu, gelu_pytorch_tanh");
        }
    }
}
