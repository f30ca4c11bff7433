package dev.osprey.models.gemmavision;

import ai.djl.ndarray.NDArray;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.MediaStage;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.StagedInputs;
import dev.osprey.model.spi.Weight;
import dev.osprey.models.siglip.SiglipConfig;
import dev.osprey.models.siglip.SiglipVisionTower;

/**
 * What Gemma 3 does before its language model's layers: encodes each image with SigLIP, then
 * {@code Gemma3MultiModalProjector}: averages the patches over k x k squares down to {@code mm_tokens_per_image},
 * normalises them ({@code mm_soft_emb_norm}, Gemma's RMSNorm) and projects them ({@code x · mm_input_projection_weight});
 * the features fill the {@code <image_soft_token>} runs, and each run attends to itself both ways inside the causal
 * mask (transformers' {@code block_sequence_ids} from {@code token_type_ids}, which the processor sets on exactly
 * these tokens).
 */
final class Gemma3VisionStage implements MediaStage {

    private final String name;
    private final long imageToken;
    private final SiglipVisionTower tower;
    private final Norm norm;
    private final Weight projection;
    /** Pooled tokens along a side, and the pooling square's side in patches. */
    private final int tokensPerSide;

    private final int kernel;

    Gemma3VisionStage(
            Parameters p, String name, SiglipConfig vision, int textHidden, int tokensPerImage, long imageToken) {
        this.name = name;
        this.imageToken = imageToken;
        this.tokensPerSide = (int) Math.round(Math.sqrt(tokensPerImage));
        int side = vision.patchesPerSide();
        if (tokensPerSide * tokensPerSide != tokensPerImage || side % tokensPerSide != 0) {
            throw new IllegalArgumentException("mm_tokens_per_image (" + tokensPerImage + ") must be the square of a"
                    + " divisor of the patches per side (" + side + ")");
        }
        this.kernel = side / tokensPerSide;
        this.tower = new SiglipVisionTower(p, GemmaVisionFamily.VISION_MODEL, vision);
        String projector = GemmaVisionFamily.PROJECTOR;
        this.projection = p.normal(projector + ".mm_input_projection_weight", vision.hidden(), textHidden);
        this.norm =
                Blocks.rmsNorm(vision.layerNormEps(), 1f).create(p, projector + ".mm_soft_emb_norm", vision.hidden());
    }

    @Override
    public StagedInputs apply(ForwardRequest request, NDArray embeddings, NDArray positions) {
        MediaTensors media = request.media().orElse(null);
        if (media == null) {
            return new StagedInputs(embeddings, positions, null);
        }
        NDArray ids = request.inputIds(); // (B, T)
        int steps = Math.toIntExact(ids.getShape().get(1));
        long[] tokens = ImagePlaceholders.ids(ids);
        NDArray pixels = media.require(MediaTensors.PIXEL_VALUES, name); // (N, C, S, S)
        long images = pixels.getShape().get(0);
        ImagePlaceholders placeholders =
                new ImagePlaceholders(tokens, steps, imageToken, images, tokensPerSide * tokensPerSide, name);
        placeholders.check(media);
        NDArray features = project(tower.encode(pixels, request.adapter().orElse(null))); // (N, tokens, H)
        NDArray merged = placeholders.merge(
                embeddings, features.reshape(-1, features.getShape().get(2)));
        return new StagedInputs(
                merged, positions, null, ids.getManager().create(blocks(tokens, steps), ids.getShape()));
    }

    /** (N, patches, Hv) to (N, tokens, H): average pooling, RMSNorm, projection. */
    private NDArray project(NDArray patches) {
        long n = patches.getShape().get(0);
        long hv = patches.getShape().get(2);
        NDArray pooled = patches.reshape(n, tokensPerSide, kernel, tokensPerSide, kernel, hv) // (N, ty, k, tx, k, Hv)
                .mean(new int[] {4}) // (N, ty, k, tx, Hv): DJL's PyTorch mean takes one axis at a time
                .mean(new int[] {2}) // (N, ty, tx, Hv)
                .reshape(n, (long) tokensPerSide * tokensPerSide, hv); // (N, tokens, Hv), row-major
        return norm.forward(pooled).matMul(projection.get()); // (N, tokens, H)
    }

    /** Each row's runs of image tokens numbered from 0, every other token -1 (causal). */
    private long[] blocks(long[] tokens, int steps) {
        long[] blocks = new long[tokens.length];
        for (int row = 0; row * steps < tokens.length; row++) {
            long next = 0;
            for (int t = 0; t < steps; t++) {
                int i = row * steps + t;
                boolean image = tokens[i] == imageToken;
                boolean starts = image && (t == 0 || tokens[i - 1] != imageToken);
                blocks[i] = image ? (starts ? next++ : next - 1) : -1;
            }
        }
        return blocks;
    }
}
