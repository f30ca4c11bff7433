package dev.osprey.models.internvl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.model.spi.MediaStage;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.StagedInputs;

/**
 * What InternVL does before its language model's layers: encodes every tile of the request's images
 * ({@code pixel_values} (tiles, C, S, S), the tiles of each image in order, as the processor and the chat code give
 * them) with {@link InternVit}, shuffles and projects them ({@link PixelShuffleProjector}), and puts the tokens, in
 * order, where the {@code <IMG_CONTEXT>} placeholders are, row by row. The positions are the text's: InternVL's
 * language models have plain rotary positions.
 */
final class InternVlStage implements MediaStage {

    private final String name;
    private final InternVlConfig config;
    private final InternVit tower;
    private final PixelShuffleProjector projector;

    /** @param name the model type, for messages; @param hidden the language model's width */
    InternVlStage(Parameters p, String name, InternVlConfig config, int hidden) {
        this.name = name;
        this.config = config;
        int layers = config.vision().layers();
        int select = config.selectLayer();
        this.tower = new InternVit(
                p, config.names(), config.vision(), select < 0 ? layers + 1 + select : select, select == -1);
        this.projector = new PixelShuffleProjector(p, config, hidden);
    }

    @Override
    public StagedInputs apply(ForwardRequest request, NDArray embeddings, NDArray positions) {
        MediaTensors media = request.media().orElse(null);
        if (media == null) {
            return new StagedInputs(embeddings, positions, null);
        }
        NDArray pixels = media.require(MediaTensors.PIXEL_VALUES, name);
        int side = config.vision().imageSize();
        int channels = config.vision().channels();
        if (pixels.getShape().dimension() != 4
                || pixels.getShape().get(1) != channels
                || pixels.getShape().get(2) != side
                || pixels.getShape().get(3) != side) {
            throw new IllegalArgumentException(name + ": pixel_values must be (tiles, " + channels + ", " + side + ", "
                    + side + "), was " + pixels.getShape());
        }
        long[] tokens = request.inputIds().toType(DataType.INT64, false).toLongArray();
        long tiles = pixels.getShape().get(0);
        long placeholders = 0;
        for (long token : tokens) {
            if (token == config.imageTokenId()) {
                placeholders++;
            }
        }
        if (placeholders != tiles * config.tokensPerTile()) {
            throw new IllegalArgumentException(name + ": the request has " + placeholders + " <IMG_CONTEXT> tokens (id "
                    + config.imageTokenId() + ") for " + tiles + " image tiles of " + config.tokensPerTile()
                    + " tokens each");
        }
        String adapter = request.adapter().orElse(null);
        NDArray features = projector.forward(tower.encode(pixels, adapter), adapter); // (tiles·tokens, H)

        long batch = embeddings.getShape().get(0);
        long steps = embeddings.getShape().get(1);
        long hidden = embeddings.getShape().get(2);
        NDArray flat = embeddings
                .reshape(-1, hidden) // (B·T, H)
                .concat(features.toType(embeddings.getDataType(), false), 0); // (B·T + tiles·tokens, H)
        long[] source = new long[tokens.length];
        long next = tokens.length;
        for (int i = 0; i < tokens.length; i++) {
            source[i] = tokens[i] == config.imageTokenId() ? next++ : i;
        }
        // a gather rather than an in-place scatter: autograd reaches the vision tower through it
        NDArray merged = flat.get(embeddings.getManager().create(source)).reshape(batch, steps, hidden); // (B, T, H)
        return new StagedInputs(merged, positions, null);
    }
}
