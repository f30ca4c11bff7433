package dev.osprey.model.decoder;

import dev.osprey.model.nn.Rope;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.Experts;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.QkNorms;

/** Between the platform's {@link DecoderSpec} and the SPI's {@link DecoderLayout}. */
final class SpecLayouts {

    private SpecLayouts() {}

    /** The built-in blocks a spec names. */
    static DecoderLayout of(DecoderSpec s) {
        NormFactory norm = Blocks.rmsNorm(s.rmsEps(), s.normOffset());
        DecoderSpec.QkNormLayout names = s.qkNormLayout();
        QkNorms qkNorms = s.qkNorm() ? new QkNorms(names.queryNorm(), names.keyNorm(), names.afterRope(), norm) : null;
        AttentionSpec attention = new AttentionSpec(
                s.heads(), s.kvHeads(), s.headDim(), s.qkvBias(), s.outputBias(), s.fusedProjections(), qkNorms);
        FeedForwardFactory feedForward =
                Blocks.gatedMlp(s.intermediateSize(), s.mlpBias(), s.fusedProjections(), s.activation());
        CheckpointKeys keys = CheckpointKeys.LLAMA;
        MoeSpec moe = s.moe();
        if (moe != null) {
            Experts experts = new Experts(
                    moe.experts(),
                    moe.topK(),
                    moe.normTopkProb(),
                    moe.expertIntermediate(),
                    moe.expertNames(),
                    moe.denseLayers(),
                    moe.sharedExpertIntermediate());
            feedForward = Blocks.sparseMoe(experts, s.mlpBias(), s.activation(), feedForward);
            keys = keys.withFeedForward(moe.blockName());
        }
        return new DecoderLayout(
                s.vocabSize(),
                s.hiddenSize(),
                s.layers(),
                s.initStd(),
                s.tieWordEmbeddings(),
                s.embeddingScale(),
                s.rope(),
                s.slidingWindow(),
                keys,
                norm,
                Blocks.attention(attention),
                norm,
                feedForward,
                norm);
    }

    /**
     * The shape of a layout as a spec, for readers of {@link DecoderModel#spec()} (a value head's width, the
     * initialisation): the blocks' own fields are placeholders, as a layout's blocks need not be Llama's.
     */
    static DecoderSpec summary(DecoderLayout l) {
        Rope rope = l.rope() instanceof Rope r ? r : Rope.plain(10000, 2, 2048);
        return new DecoderSpec(
                l.vocabSize(),
                l.hiddenSize(),
                l.hiddenSize(),
                l.layers(),
                1,
                1,
                l.hiddenSize(),
                1e-6,
                rope,
                false,
                false,
                false,
                false,
                0f,
                l.embeddingScale(),
                "silu",
                l.slidingWindow(),
                l.tieWordEmbeddings(),
                l.initStd(),
                false,
                null);
    }
}
