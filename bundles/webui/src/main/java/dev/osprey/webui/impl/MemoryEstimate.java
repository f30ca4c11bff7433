package dev.osprey.webui.impl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A training job's memory before it starts, from the model's config.json and the form's settings: weights,
 * trainable parameters' gradients, AdamW's two moments, and the activations kept for the backward pass. An
 * estimate (no allocator slack, no runtime, no fragmentation); the formula is documented in
 * docs/webui.md#memory-estimate.
 *
 * @param parameters the model's parameters (the checkpoint's count when known, else the config's)
 * @param trainable the parameters that receive gradients (all for full, the LoRA matrices for lora)
 * @param weights bytes of the model's weights as loaded (quantized linears at their bits)
 * @param adapters bytes of the LoRA matrices (float32)
 * @param gradients bytes of the gradients (float32)
 * @param optimizer bytes of AdamW's first and second moments (float32)
 * @param activations bytes of the activations kept for the backward pass, logits included
 */
record MemoryEstimate(
        long parameters,
        long trainable,
        long weights,
        long adapters,
        long gradients,
        long optimizer,
        long activations) {

    private static final int FLOAT32 = 4;

    /** What the estimate depends on, from the job's arguments. */
    record Settings(
            String trainType,
            int quantBits,
            int loraRank,
            List<String> targetModules,
            int batchSize,
            int maxLength,
            boolean gradientCheckpointing,
            String torchDtype) {}

    /** The decoder's shape, from config.json (or its {@code text_config} for a vision-language model). */
    record Shape(
            long hidden,
            long intermediate,
            long layers,
            long heads,
            long kvHeads,
            long headDim,
            long vocab,
            boolean tied,
            boolean qkvBias) {

        static Shape of(JsonNode config) {
            JsonNode c = config.has("text_config") && !config.has("hidden_size") ? config.get("text_config") : config;
            long hidden = require(c, "hidden_size");
            long heads = require(c, "num_attention_heads");
            return new Shape(
                    hidden,
                    require(c, "intermediate_size"),
                    require(c, "num_hidden_layers"),
                    heads,
                    c.path("num_key_value_heads").asLong(heads),
                    c.path("head_dim").asLong(hidden / heads),
                    require(c, "vocab_size"),
                    c.path("tie_word_embeddings")
                            .asBoolean(config.path("tie_word_embeddings").asBoolean(false)),
                    // Qwen2's q, k and v projections always carry a bias; Llama-style configs say so
                    c.path("attention_bias")
                            .asBoolean(c.path("model_type")
                                    .asText(config.path("model_type").asText(""))
                                    .startsWith("qwen2")));
        }

        private static long require(JsonNode config, String field) {
            if (!config.path(field).canConvertToLong()) {
                throw new IllegalArgumentException(
                        "config.json has no " + field + ", so the memory of this model cannot be estimated");
            }
            return config.path(field).asLong();
        }

        /** Each decoder layer's linear layers by name, as {in, out}. */
        Map<String, long[]> linears() {
            Map<String, long[]> l = new LinkedHashMap<>();
            l.put("q_proj", new long[] {hidden, heads * headDim});
            l.put("k_proj", new long[] {hidden, kvHeads * headDim});
            l.put("v_proj", new long[] {hidden, kvHeads * headDim});
            l.put("o_proj", new long[] {heads * headDim, hidden});
            l.put("gate_proj", new long[] {hidden, intermediate});
            l.put("up_proj", new long[] {hidden, intermediate});
            l.put("down_proj", new long[] {intermediate, hidden});
            return l;
        }

        long linearParameters() {
            return layers
                    * linears().values().stream().mapToLong(s -> s[0] * s[1]).sum();
        }

        /**
         * Embedding, layers (linears, their q/k/v biases when there are any, two norms each), final norm and, unless
         * tied, the output head.
         */
        long parameters() {
            long biases = qkvBias ? (heads + 2 * kvHeads) * headDim : 0;
            return vocab * hidden
                    + linearParameters()
                    + layers * (2 * hidden + biases)
                    + hidden
                    + (tied ? 0 : vocab * hidden);
        }
    }

    /**
     * Estimates a job.
     *
     * @param checkpointParameters the parameters the checkpoint's headers count, or 0 when unknown
     */
    static MemoryEstimate of(Shape shape, Settings settings, long checkpointParameters) {
        long parameters = checkpointParameters > 0 ? checkpointParameters : shape.parameters();
        long dtype = bytesOf(settings.torchDtype());
        boolean lora = !settings.trainType().equals("full");
        long linears = Math.min(shape.linearParameters(), parameters);
        long weights = settings.quantBits() > 0
                ? linears * settings.quantBits() / 8 + (parameters - linears) * dtype
                : parameters * dtype;
        long trainable = lora ? loraParameters(shape, settings) : parameters;
        long adapters = lora ? trainable * FLOAT32 : 0;
        long gradients = trainable * FLOAT32;
        long optimizer = 2 * trainable * FLOAT32;
        return new MemoryEstimate(
                parameters, trainable, weights, adapters, gradients, optimizer, activations(shape, settings, dtype));
    }

    /** r·(in + out) for each targeted linear of each layer ({@code all-linear}: every one). */
    static long loraParameters(Shape shape, Settings settings) {
        boolean all =
                settings.targetModules().isEmpty() || settings.targetModules().contains("all-linear");
        long perLayer = 0;
        for (Map.Entry<String, long[]> linear : shape.linears().entrySet()) {
            if (all || settings.targetModules().contains(linear.getKey())) {
                perLayer += settings.loraRank() * (linear.getValue()[0] + linear.getValue()[1]);
            }
        }
        return shape.layers() * perLayer;
    }

    /**
     * Per token and layer: the inputs and outputs of the norms and linears kept for the backward pass
     * (7·hidden + 2·kv width + 4·intermediate values) and the attention scores and probabilities (2·heads·length);
     * with gradient checkpointing only each layer's input (hidden values) is kept, and one layer is recomputed at a
     * time. The logits and their log-softmax add 2·vocab per token.
     */
    static long activations(Shape shape, Settings settings, long dtype) {
        long tokens = (long) settings.batchSize() * settings.maxLength();
        long perLayer = 7 * shape.hidden()
                + 2 * shape.kvHeads() * shape.headDim()
                + 4 * shape.intermediate()
                + 2 * shape.heads() * settings.maxLength();
        long layers = settings.gradientCheckpointing()
                ? shape.layers() * shape.hidden() + perLayer
                : shape.layers() * perLayer;
        return tokens * (layers + 2 * shape.vocab()) * dtype;
    }

    /** Bytes per value of {@code --torch_dtype}. */
    static long bytesOf(String torchDtype) {
        return switch (torchDtype.toLowerCase(java.util.Locale.ROOT)) {
            case "bfloat16", "bf16", "float16", "fp16", "half" -> 2;
            default -> FLOAT32;
        };
    }

    long total() {
        return weights + adapters + gradients + optimizer + activations;
    }
}
