package dev.osprey.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.decoder.DecoderSpec;
import dev.osprey.model.decoder.MoeSpec;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.ModelSaver;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.LoraWeights;
import dev.osprey.model.nn.Rope;

/**
 * The gradients of a training pass are the same whether or not the garbage collector runs between its
 * forward and backward passes. They were not: DJL's {@code x.mul(2.0)} (and swish, div, pow, ...) hands
 * PyTorch the number in a Java buffer it frees at once, autograd keeps that operand for the backward pass,
 * and the gradients of every layer below came out NaN or silently wrong whenever a collection ran in
 * between (Scalars). The model here is loaded from safetensors, as training loads it, so its weights sit
 * in Java buffers too.
 */
class GradientsAcrossGarbageCollectionTest {

    private static final Map<DecoderSpec, Path> CHECKPOINTS = new HashMap<>();

    /** A checkpoint of {@code spec}'s tiny model, saved once, so its weights sit in Java buffers when loaded. */
    private static Path checkpoint(DecoderSpec spec) throws IOException {
        Path saved = CHECKPOINTS.get(spec);
        if (saved == null) {
            saved = Files.createTempDirectory("gc-gradients");
            try (NDManager manager = NDManager.newBaseManager()) {
                ModelSaver.save(TinyModels.build(manager, spec, 5), saved, "F32", Map.of());
            }
            CHECKPOINTS.put(spec, saved);
        }
        return saved;
    }

    /** The LoRA gradients of one pass over a left-padded batch; {@code churn} runs between forward and backward. */
    private static float[] loraGradients(DecoderSpec spec, boolean churn) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderModel model = TinyModels.build(manager, spec, 5);
            ModelLoader.loadWeights(model, WeightFiles.open(checkpoint(spec)), manager, DataType.FLOAT32);
            manager.getEngine().setRandomSeed(3);
            List<NDArray> trainable = new ArrayList<>();
            for (Linear linear : model.linears()) {
                NDArray a = manager.randomNormal(0, 0.3f, new Shape(4, linear.inFeatures()), DataType.FLOAT32);
                NDArray b = manager.randomNormal(0, 0.3f, new Shape(linear.outFeatures(), 4), DataType.FLOAT32);
                a.setRequiresGradient(true);
                b.setRequiresGradient(true);
                trainable.add(a);
                trainable.add(b);
                linear.attach("lora", new LoraWeights(a, b, 2.0));
            }
            try (NDScope scope = new NDScope();
                    NDManager step = manager.newSubManager();
                    GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                scope.suppressNotUsedWarning();
                NDArray ids = step.create(new long[] {0, 14, 15, 9, 2, 6, 5, 3}, new Shape(2, 4));
                NDArray mask = step.create(new long[] {0, 1, 1, 1, 1, 1, 1, 1}, new Shape(2, 4));
                NDArray logits = model.forward(ForwardRequest.builder(ids)
                                .optAttentionMask(mask)
                                .optAdapter("lora")
                                .optTraining(true)
                                .build())
                        .logits(); // (2, 4, V)
                NDArray loss = Losses.causalLm(logits, ids);
                if (churn) {
                    NativeMemoryChurn.now();
                }
                collector.backward(loss);
            }
            List<float[]> parts = new ArrayList<>();
            for (NDArray t : trainable) {
                parts.add(t.getGradient().toFloatArray());
            }
            float[] all = new float[parts.stream().mapToInt(p -> p.length).sum()];
            int at = 0;
            for (float[] p : parts) {
                System.arraycopy(p, 0, all, at, p.length);
                at += p.length;
            }
            return all;
        }
    }

    private static void assertSameAcrossCollection(DecoderSpec spec) throws IOException {
        float[] undisturbed = loraGradients(spec, false);
        assertTrue(
                java.util.stream.IntStream.range(0, undisturbed.length).allMatch(i -> Float.isFinite(undisturbed[i])));
        for (int run = 0; run < 3; run++) {
            assertArrayEquals(
                    undisturbed,
                    loraGradients(spec, true),
                    0f,
                    "run " + run + ": gradients changed by a garbage collection");
        }
    }

    @Test
    void siluGatedLayersKeepTheirGradients() throws IOException {
        assertSameAcrossCollection(TinyModels.llama());
    }

    @Test
    void mixtureOfExpertsLayersKeepTheirGradients() throws IOException {
        // the router's chosen experts index the tokens and the scores inside each layer's scope, which a training
        // pass closes before its backward pass (OwnedIndex)
        assertSameAcrossCollection(TinyModels.llama()
                .withMoe(new MoeSpec(4, 2, true, 24, "block_sparse_moe", List.of("w1", "w3", "w2"), Set.of())));
    }

    @Test
    void gemmaStyleLayersKeepTheirGradients() throws IOException {
        // Gemma's tanh GELU (x³ and three numbers), norms that add 1 to their weight, scaled embeddings, a sliding
        // window
        assertSameAcrossCollection(new DecoderSpec(
                64,
                32,
                48,
                2,
                4,
                2,
                8,
                1e-6,
                Rope.plain(10000, 8, 128),
                false,
                false,
                false,
                false,
                1f,
                Math.sqrt(32),
                "gelu_pytorch_tanh",
                3,
                false,
                0.2,
                false,
                null));
    }
}
