package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ConsumerType;

import ai.djl.ndarray.NDArray;

import dev.osprey.api.model.ForwardRequest;

/**
 * The part of a multimodal model that runs before its decoder's layers: encoders of the request's media (a vision
 * tower), the aligner that projects their features to the decoder's width, the scatter of those features into the
 * placeholder tokens, and the positions the layout's rotary embedding reads (Qwen2-VL's M-RoPE counts an image's
 * rows and columns). Its parameters come from the model's {@link Parameters} ({@link MediaStageFactory}), so they
 * load, save, train and take LoRA by checkpoint key with the decoder's.
 *
 * <p>The decoder calls it on every pass, decoding steps included (which carry no media), before the first layer.
 */
@ConsumerType
public interface MediaStage {

    /**
     * @param request the pass: its token ids (B, T), attention mask and {@link ForwardRequest#media() media}
     * @param embeddings (B, T, H) the token embeddings
     * @param positions (B, T) int64 the text positions the decoder counts (the attention mask, the cache, explicit
     *        positions), each row already shifted by the {@link StagedInputs#positionShift} of earlier passes over
     *        the same cache
     * @return the embeddings the layers take, the positions the rotary embedding reads, and a shift of later
     *         positions
     * @throws IllegalArgumentException when the media do not fit the placeholders, naming what differs
     */
    StagedInputs apply(ForwardRequest request, NDArray embeddings, NDArray positions);
}
