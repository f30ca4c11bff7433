package dev.osprey.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;

import java.nio.file.Path;
import java.util.Map;
import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;
import dev.osprey.checkpoint.WeightFiles;

/**
 * InternVL's bundle inside Felix: its language model is another bundle's family, found through the framework's
 * services. The chat-format fixture (a Qwen2 language model) loads through the model service and its logits for the
 * fixture's text and tiles are those OpenGVLab's code computed (tools/make-internvl-fixtures.py).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class InternVlInFrameworkIT {

    private static final String FIXTURE = "plugins-models/internvl/src/test/resources/reference/internvl-chat";

    @Inject
    ModelService models;

    @Configuration
    public Option[] config() throws Exception {
        return TestPlatform.platform(
                TestPlatform.newPluginsDir(),
                TestPlatform.freePort(),
                bundle(TestPlatform.reactorJar("plugins-models/internvl", "osprey-models-internvl")
                        .toUri()
                        .toString()));
    }

    @Test
    public void theChatFormatRunsOnTheQwenBundlesDecoder() throws Exception {
        Path folder = TestPlatform.root().resolve(FIXTURE);
        JsonNode ref =
                new ObjectMapper().readTree(folder.resolve("reference.json").toFile());
        try (NDManager manager = NDManager.newBaseManager();
                LoadedModel loaded = models.load(ModelRequest.of(folder.toString()), manager)) {
            assertEquals("internvl_chat", loaded.config().modelType());
            JsonNode ids = ref.get("input_ids");
            int batch = ids.size();
            int steps = ids.get(0).size();
            long[] tokens = new long[batch * steps];
            long[] mask = new long[batch * steps];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < steps; t++) {
                    tokens[b * steps + t] = ids.get(b).get(t).asLong();
                    mask[b * steps + t] =
                            ref.get("attention_mask").get(b).get(t).asLong();
                }
            }
            NDArray pixels = WeightFiles.openFile(folder.resolve("inputs.safetensors"))
                    .load(manager, MediaTensors.PIXEL_VALUES, DataType.FLOAT32); // (tiles, C, S, S)
            Shape shape = new Shape(batch, steps);
            NDArray logits = loaded.model()
                    .forward(ForwardRequest.builder(manager.create(tokens, shape))
                            .optAttentionMask(manager.create(mask, shape))
                            .optMedia(MediaTensors.of(Map.of(MediaTensors.PIXEL_VALUES, pixels)))
                            .build())
                    .logits(); // (B, T, V)
            // the last token of each row, where every image's features have been attended to
            JsonNode expected = ref.get("logits").get("values");
            float[] actual = logits.toFloatArray();
            int vocab = ref.get("logits").get("shape").get(2).asInt();
            for (int b = 0; b < batch; b++) {
                for (int v = 0; v < vocab; v++) {
                    double e = expected.get(b).get(steps - 1).get(v).asDouble();
                    double a = actual[(b * steps + steps - 1) * vocab + v];
                    assertTrue(
                            "row " + b + " token " + v + ": " + a + " vs " + e,
                            Math.abs(a - e) <= 1e-3 * Math.max(1, Math.abs(e)));
                }
            }
        }
    }
}
