package dev.osprey.model.decoder;

import dev.osprey.model.nn.Rope;

/**
 * The shape and the variations of a decoder-only transformer, as an architecture reads them from its
 * config. Checked here, so that every architecture asserts the same invariants.
 *
 * @param vocabSize rows of the embedding
 * @param hiddenSize the model width
 * @param intermediateSize the MLP width
 * @param layers decoder layers
 * @param heads query heads
 * @param kvHeads key/value heads (grouped-query attention when fewer than heads)
 * @param headDim features per head
 * @param rmsEps RMSNorm epsilon
 * @param rope rotary embeddings
 * @param qkvBias q, k and v projections have biases (Qwen2; Llama's attention_bias)
 * @param outputBias the attention output projection has a bias (Llama's attention_bias)
 * @param mlpBias the MLP projections have biases (Llama's mlp_bias)
 * @param qkNorm RMSNorm over each head of q and k (Qwen3, HunYuan; see {@code qkNormLayout})
 * @param normOffset 1 when norms scale by (1 + w) (Gemma), else 0
 * @param embeddingScale what embeddings are multiplied by (sqrt(hidden) for Gemma, else 1)
 * @param activation {@code silu} or {@code gelu_pytorch_tanh}
 * @param slidingWindow attend to at most this many previous tokens (Mistral), 0 for no limit
 * @param tieWordEmbeddings the output head reuses the embedding
 * @param initStd standard deviation of freshly initialised weights
 * @param fusedProjections q, k, v stored as one {@code qkv_proj} and gate, up as one {@code gate_up_proj} (Phi-3)
 * @param moe the mixture-of-experts block replacing the MLP, or null for a dense model
 * @param qkNormLayout where the q/k norms sit and what they are called, when {@code qkNorm}
 */
public record DecoderSpec(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        double rmsEps,
        Rope rope,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        boolean qkNorm,
        float normOffset,
        double embeddingScale,
        String activation,
        int slidingWindow,
        boolean tieWordEmbeddings,
        double initStd,
        boolean fusedProjections,
        MoeSpec moe,
        QkNormLayout qkNormLayout) {

    /**
     * The per-head RMSNorms of queries and keys: their checkpoint names under {@code self_attn}, and whether
     * they apply after the rotary embedding (HunYuan) or before it (Qwen3).
     */
    public record QkNormLayout(String queryNorm, String keyNorm, boolean afterRope) {
        /** Qwen3's {@code q_norm} and {@code k_norm}, before RoPE. */
        public static final QkNormLayout BEFORE_ROPE = new QkNormLayout("q_norm", "k_norm", false);
    }

    /** A spec whose q/k norms, if any, are Qwen3's. */
    public DecoderSpec(
            int vocabSize,
            int hiddenSize,
            int intermediateSize,
            int layers,
            int heads,
            int kvHeads,
            int headDim,
            double rmsEps,
            Rope rope,
            boolean qkvBias,
            boolean outputBias,
            boolean mlpBias,
            boolean qkNorm,
            float normOffset,
            double embeddingScale,
            String activation,
            int slidingWindow,
            boolean tieWordEmbeddings,
            double initStd,
            boolean fusedProjections,
            MoeSpec moe) {
        this(
                vocabSize,
                hiddenSize,
                intermediateSize,
                layers,
                heads,
                kvHeads,
                headDim,
                rmsEps,
                rope,
                qkvBias,
                outputBias,
                mlpBias,
                qkNorm,
                normOffset,
                embeddingScale,
                activation,
                slidingWindow,
                tieWordEmbeddings,
                initStd,
                fusedProjections,
                moe,
                QkNormLayout.BEFORE_ROPE);
    }

    public DecoderSpec {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", layers);
        positive("num_attention_heads", heads);
        positive("num_key_value_heads", kvHeads);
        positive("head_dim", headDim);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(
                    "num_attention_heads (" + heads + ") must be a multiple of num_key_value_heads (" + kvHeads + ")");
        }
        if (!activation.equals("silu") && !activation.equals("gelu_pytorch_tanh") && !activation.equals("gelu")) {
            throw new IllegalArgumentException(
                    "hidden_act '" + activation + "' is not supported; supported: silu, gelu_pytorch_tanh");
        }
    }

    /** This spec with q/k/v and gate/up fused into single projections (Phi-3's checkpoint layout). */
    public DecoderSpec withFusedProjections() {
        return new DecoderSpec(
                vocabSize,
                hiddenSize,
                intermediateSize,
                layers,
                heads,
                kvHeads,
                headDim,
                rmsEps,
                rope,
                qkvBias,
                outputBias,
                mlpBias,
                qkNorm,
                normOffset,
                embeddingScale,
                activation,
                slidingWindow,
                tieWordEmbeddings,
                initStd,
                true,
                moe,
                qkNormLayout);
    }

    /** This spec with a mixture-of-experts block instead of the dense MLP. */
    public DecoderSpec withMoe(MoeSpec experts) {
        return new DecoderSpec(
                vocabSize,
                hiddenSize,
                intermediateSize,
                layers,
                heads,
                kvHeads,
                headDim,
                rmsEps,
                rope,
                qkvBias,
                outputBias,
                mlpBias,
                qkNorm,
                normOffset,
                embeddingScale,
                activation,
                slidingWindow,
                tieWordEmbeddings,
                initStd,
                fusedProjections,
                experts,
                qkNormLayout);
    }

    /** This spec with per-head q/k norms laid out as {@code layout}. */
    public DecoderSpec withQkNorm(QkNormLayout layout) {
        return new DecoderSpec(
                vocabSize,
                hiddenSize,
                intermediateSize,
                layers,
                heads,
                kvHeads,
                headDim,
                rmsEps,
                rope,
                qkvBias,
                outputBias,
                mlpBias,
                true,
                normOffset,
                embeddingScale,
                activation,
                slidingWindow,
                tieWordEmbeddings,
                initStd,
                fusedProjections,
                moe,
                layout);
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("config field '" + field + "' must be positive, was " + value);
        }
    }
}
