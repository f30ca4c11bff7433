package dev.osprey.models.gemmavision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.model.spi.MediaStage;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.StagedInputs;
import dev.osprey.models.siglip.SiglipConfig;
import dev.osprey.models.siglip.SiglipVisionTower;

/**
 * What PaliGemma does before Gemma's layers: encodes each image with SigLIP, projects its patches to the language
 * model's width ({@code multi_modal_projector.linear}) and puts them in the {@code <image>} tokens; the prefix
 * (image, BOS, prompt, "\n") attends both ways, the suffix causally (prefix-LM). The prefix is what the processor's
 * {@code token_type_ids} mark 0 (the labelled suffix is 1), or the request's attention blocks (a training row's,
 * from {@link PaliGemmaMediaProcessor}); without either a pass with images is all prefix, as the processor marks a
 * prompt. Positions count from 1, as transformers' PaliGemma does.
 *
 * <p>The image features go in unscaled: Gemma scales the token embeddings by sqrt(hidden) at the lookup, the
 * features not (transformers 5; transformers 4 divided them by sqrt(hidden) before scaling the whole input).
 */
final class PaliGemmaStage implements MediaStage {

    /** The processor's prefix (0) and suffix (1) marks. */
    static final String TOKEN_TYPE_IDS = "token_type_ids";

    private final String name;
    private final long imageToken;
    private final SiglipVisionTower tower;
    private final Projection projector;

    PaliGemmaStage(Parameters p, String name, SiglipConfig vision, int projectionDim, long imageToken) {
        this.name = name;
        this.imageToken = imageToken;
        this.tower = new SiglipVisionTower(p, GemmaVisionFamily.VISION_MODEL, vision);
        this.projector = p.linear(GemmaVisionFamily.PROJECTOR + ".linear", vision.hidden(), projectionDim, true);
    }

    @Override
    public StagedInputs apply(ForwardRequest request, NDArray embeddings, NDArray positions) {
        NDArray ropePositions = Scalars.add(positions, 1L); // (B, T), 1-based
        MediaTensors media = request.media().orElse(null);
        if (media == null) {
            return new StagedInputs(embeddings, ropePositions, null);
        }
        NDArray ids = request.inputIds(); // (B, T)
        int steps = Math.toIntExact(ids.getShape().get(1));
        NDArray pixels = media.require(MediaTensors.PIXEL_VALUES, name); // (N, C, S, S)
        long images = pixels.getShape().get(0);
        ImagePlaceholders placeholders = new ImagePlaceholders(
                ImagePlaceholders.ids(ids),
                steps,
                imageToken,
                images,
                tower.config().patches(),
                name);
        placeholders.check(media);
        String adapter = request.adapter().orElse(null);
        NDArray features = projector.forward(tower.encode(pixels, adapter), adapter); // (N, patches, H)
        NDArray merged = placeholders.merge(
                embeddings, features.reshape(-1, features.getShape().get(2)));
        return new StagedInputs(merged, ropePositions, null, prefix(request, media, ids));
    }

    /** (B, T) block 0 for the prefix, -1 (causal) for the suffix. */
    private NDArray prefix(ForwardRequest request, MediaTensors media, NDArray ids) {
        if (request.attentionBlocks().isPresent()) {
            return request.attentionBlocks().get(); // the batch's prefix-LM rows
        }
        Shape shape = ids.getShape();
        NDArray types = media.get(TOKEN_TYPE_IDS).orElse(null);
        if (types == null) {
            return ids.getManager().zeros(shape, DataType.INT64);
        }
        if (!types.getShape().equals(shape)) {
            throw new IllegalArgumentException(
                    name + ": token_type_ids must be shaped as input_ids " + shape + ", was " + types.getShape());
        }
        // 0 (prefix) stays block 0, 1 (suffix) becomes -1
        return Scalars.mul(types.toType(DataType.INT64, false).neq(0).toType(DataType.INT64, false), -1L);
    }
}
