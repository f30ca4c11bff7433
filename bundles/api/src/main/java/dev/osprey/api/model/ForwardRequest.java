package dev.osprey.api.model;

import java.util.Objects;
import java.util.Optional;

import ai.djl.ndarray.NDArray;

/**
 * The input of one forward pass. Shapes: {@code inputIds} (B, T) int64; {@code attentionMask} (B, P + T)
 * with 1 for real tokens and 0 for padding, P being the cached length; {@code positionIds} (B, T). A multimodal
 * model also reads the pass's {@link #media()}, pre-processed images or video whose features fill the placeholder
 * tokens of {@code inputIds}. Build with {@link #builder(NDArray)}.
 */
public final class ForwardRequest {

    private final NDArray inputIds;
    private final NDArray attentionMask;
    private final NDArray positionIds;
    private final KvCache cache;
    private final boolean lastPositionOnly;
    private final boolean training;
    private final String adapter;
    private final MediaTensors media;
    private final NDArray attentionBlocks;

    private ForwardRequest(Builder b) {
        this.inputIds = b.inputIds;
        this.attentionMask = b.attentionMask;
        this.positionIds = b.positionIds;
        this.cache = b.cache;
        this.lastPositionOnly = b.lastPositionOnly;
        this.training = b.training;
        this.adapter = b.adapter;
        this.media = b.media;
        this.attentionBlocks = b.attentionBlocks;
    }

    public static Builder builder(NDArray inputIds) {
        return new Builder(inputIds);
    }

    /** (B, T) token ids. */
    public NDArray inputIds() {
        return inputIds;
    }

    /** (B, P + T), or empty for no padding. */
    public Optional<NDArray> attentionMask() {
        return Optional.ofNullable(attentionMask);
    }

    /** (B, T), or empty to derive positions from the mask and the cache. */
    public Optional<NDArray> positionIds() {
        return Optional.ofNullable(positionIds);
    }

    /** The cache to read and extend, or empty for a pass without one. */
    public Optional<KvCache> cache() {
        return Optional.ofNullable(cache);
    }

    /** When true the logits are (B, 1, V) for the last position only. */
    public boolean lastPositionOnly() {
        return lastPositionOnly;
    }

    /**
     * When true dropout and other training-only behaviour are on. A pass that is not training takes no
     * gradients: an implementation may run parts of it on other threads, where autograd does not record.
     */
    public boolean training() {
        return training;
    }

    /** The LoRA adapter to apply (by the name it was loaded under), or empty for the base model. */
    public Optional<String> adapter() {
        return Optional.ofNullable(adapter);
    }

    /**
     * The media whose features fill this pass's placeholder tokens (a prefill with images), or empty: a text-only
     * pass, or a decoding step after the prompt. A model that takes no media refuses a request that has some.
     */
    public Optional<MediaTensors> media() {
        return Optional.ofNullable(media);
    }

    /**
     * (B, T) int64, or empty for a causal pass: new tokens of a row with the same non-negative id see each other both
     * ways, on top of the causal mask and within the padding mask; -1 keeps a token causal (transformers'
     * {@code block_sequence_ids}). A prefix-LM row (PaliGemma's image, prompt and "\n", then its answer) is block 0
     * for the prefix and -1 for the rest, as its processor's {@code token_type_ids} say; a model whose media stage
     * makes blocks of its own (Gemma 3's images) may combine them.
     */
    public Optional<NDArray> attentionBlocks() {
        return Optional.ofNullable(attentionBlocks);
    }

    /** Builder; {@link #build()} checks the shapes it can check without running the model. */
    public static final class Builder {
        private final NDArray inputIds;
        private NDArray attentionMask;
        private NDArray positionIds;
        private KvCache cache;
        private boolean lastPositionOnly;
        private boolean training;
        private String adapter;
        private MediaTensors media;
        private NDArray attentionBlocks;

        private Builder(NDArray inputIds) {
            this.inputIds = Objects.requireNonNull(inputIds, "inputIds");
        }

        public Builder optAttentionMask(NDArray mask) {
            this.attentionMask = mask;
            return this;
        }

        public Builder optPositionIds(NDArray positions) {
            this.positionIds = positions;
            return this;
        }

        public Builder optCache(KvCache kvCache) {
            this.cache = kvCache;
            return this;
        }

        public Builder optLastPositionOnly(boolean last) {
            this.lastPositionOnly = last;
            return this;
        }

        public Builder optTraining(boolean train) {
            this.training = train;
            return this;
        }

        public Builder optAdapter(String adapterName) {
            this.adapter = adapterName;
            return this;
        }

        public Builder optMedia(MediaTensors mediaTensors) {
            this.media = mediaTensors;
            return this;
        }

        /** @param blocks (B, T) int64, see {@link ForwardRequest#attentionBlocks()}; null for none */
        public Builder optAttentionBlocks(NDArray blocks) {
            this.attentionBlocks = blocks;
            return this;
        }

        public ForwardRequest build() {
            if (inputIds.getShape().dimension() != 2) {
                throw new IllegalArgumentException("inputIds must be (B, T), was " + inputIds.getShape());
            }
            if (attentionMask != null
                    && attentionMask.getShape().get(0) != inputIds.getShape().get(0)) {
                throw new IllegalArgumentException("attentionMask batch " + attentionMask.getShape()
                        + " does not match inputIds " + inputIds.getShape());
            }
            if (attentionBlocks != null && !attentionBlocks.getShape().equals(inputIds.getShape())) {
                throw new IllegalArgumentException("attentionBlocks " + attentionBlocks.getShape()
                        + " must be shaped as inputIds " + inputIds.getShape());
            }
            return new ForwardRequest(this);
        }
    }
}
