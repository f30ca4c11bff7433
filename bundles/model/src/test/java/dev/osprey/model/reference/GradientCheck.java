package dev.osprey.model.reference;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.function.Function;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;

/**
 * Autograd's gradient of the causal-LM loss equals central finite differences, element by element, for the
 * parameters of a family's own blocks: the backward pass runs through the same math as the forward pass.
 */
public final class GradientCheck {

    private static final long[] IDS = {1, 17, 93, 5, 44, 120, 8, 61, 33, 77, 12, 99};

    private GradientCheck() {}

    /**
     * @param folder a reference checkpoint
     * @param key a parameter of it
     * @param step the finite-difference step
     */
    public static void check(Path folder, ModelArchitecture architecture, String key, float step) throws Exception {
        check(folder, architecture, key, 0, step);
    }

    /**
     * Checks six elements from {@code first}: for a row of a parameter that only some inputs reach, such as a
     * router's row of an expert the first rows' tokens do not choose.
     *
     * @param folder a reference checkpoint
     * @param key a parameter of it
     * @param first the flat index of the first element checked
     * @param step the finite-difference step
     */
    public static void check(Path folder, ModelArchitecture architecture, String key, int first, float step)
            throws Exception {
        check(folder, architecture, key, first, step, IDS, manager -> null);
    }

    /**
     * Checks six elements from {@code first} on a prompt with media: for the parameters of a vision tower or an
     * aligner, which only the media reach.
     *
     * @param ids the prompt, its placeholder tokens included
     * @param media the prompt's media, made in the manager given (null for none)
     */
    public static void check(
            Path folder,
            ModelArchitecture architecture,
            String key,
            int first,
            float step,
            long[] ids,
            Function<NDManager, MediaTensors> media)
            throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                HfModel loaded = ModelLoader.load(folder, config -> architecture, manager, DataType.FLOAT32)) {
            LanguageModel model = loaded.model();
            NDArray parameter = model.parameters().get(key);
            assertTrue(
                    parameter != null,
                    key + " is not a parameter of " + model.parameters().keySet());
            float[] values = parameter.toFloatArray();
            float[] numeric = new float[Math.min(values.length - first, 6)];
            for (int i = 0; i < numeric.length; i++) {
                float[] plus = values.clone();
                plus[first + i] += step;
                float[] minus = values.clone();
                minus[first + i] -= step;
                parameter.set(FloatBuffer.wrap(plus));
                float up = loss(model, manager, ids, media).getFloat();
                parameter.set(FloatBuffer.wrap(minus));
                float down = loss(model, manager, ids, media).getFloat();
                numeric[i] = (up - down) / (2 * step);
            }
            parameter.set(FloatBuffer.wrap(values));
            parameter.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                collector.backward(loss(model, manager, ids, media));
            }
            float[] analytic = parameter.getGradient().toFloatArray();
            double largest = 0;
            for (int i = 0; i < numeric.length; i++) {
                float a = analytic[first + i];
                largest = Math.max(largest, Math.abs(a));
                assertTrue(
                        Math.abs(a - numeric[i]) <= 2e-3 + 0.03 * Math.abs(numeric[i]),
                        key + "[" + (first + i) + "]: autograd " + a + ", finite differences " + numeric[i]);
            }
            assertTrue(largest > 1e-4, key + ": the loss does not depend on it");
        }
    }

    private static NDArray loss(
            LanguageModel model, NDManager manager, long[] prompt, Function<NDManager, MediaTensors> media) {
        NDArray ids = manager.create(prompt, new Shape(1, prompt.length));
        NDArray logits = model.forward(ForwardRequest.builder(ids)
                        .optTraining(true)
                        .optMedia(media.apply(manager))
                        .build())
                .logits(); // (1, T, V)
        return Losses.causalLm(logits, ids);
    }
}
