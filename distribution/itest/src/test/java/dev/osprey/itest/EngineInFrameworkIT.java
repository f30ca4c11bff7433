package dev.osprey.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.osprey.api.engine.EngineRuntime;

/** DJL inside the framework: the engine bundle's service, real tensor math, autograd and a tokenizer. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class EngineInFrameworkIT {

    @Inject
    EngineRuntime engine;

    @Configuration
    public Option[] config() throws Exception {
        return TestPlatform.platform(TestPlatform.newPluginsDir(), TestPlatform.freePort());
    }

    @Test
    public void theEngineServiceReportsPyTorchOnTheCpu() {
        assertEquals("PyTorch", engine.engineName());
        assertEquals("2.7.1", engine.engineVersion());
        assertTrue(engine.devices().contains(Device.cpu()));
    }

    @Test
    public void matmulComputesTheProduct() {
        try (NDManager m = engine.newManager(Device.cpu())) {
            NDArray a = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3)); // (2, 3)
            NDArray b = m.create(new float[] {7, 8, 9, 10, 11, 12}, new Shape(3, 2)); // (3, 2)
            NDArray c = a.matMul(b); // (2, 2)
            assertEquals(new Shape(2, 2), c.getShape());
            assertArrayEquals(new float[] {58, 64, 139, 154}, c.toFloatArray(), 0f);
        }
    }

    @Test
    public void gradientCollectorBackpropagates() {
        try (NDManager m = engine.newManager(Device.cpu())) {
            NDArray x = m.create(new float[] {1, -2, 3});
            x.setRequiresGradient(true);
            NDArray w = m.create(new float[] {0.5f, 4, -1});
            w.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray loss = x.mul(x).mul(w).sum(); // sum(w * x^2)
                collector.backward(loss);
            }
            // d/dx = 2 w x, d/dw = x^2
            assertArrayEquals(new float[] {1, -16, -6}, x.getGradient().toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {1, 4, 9}, w.getGradient().toFloatArray(), 1e-6f);
        }
    }

    @Test
    public void huggingFaceTokenizerEncodesAndDecodes() throws Exception {
        // a tiny word-level tokenizer in the real tokenizer.json format
        String json = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
                + "\"added_tokens\":[{\"id\":0,\"content\":\"[UNK]\",\"single_word\":false,\"lstrip\":false,"
                + "\"rstrip\":false,\"normalized\":false,\"special\":true}],"
                + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,"
                + "\"decoder\":null,\"model\":{\"type\":\"WordLevel\",\"vocab\":{\"[UNK]\":0,\"hello\":1,"
                + "\"osprey\":2,\"world\":3},\"unk_token\":\"[UNK]\"}}";
        Path dir = Files.createTempDirectory("tokenizer");
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json, StandardCharsets.UTF_8);
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(file)) {
            Encoding encoding = tokenizer.encode("hello osprey world unknown");
            assertArrayEquals(new long[] {1, 2, 3, 0}, encoding.getIds());
            assertEquals(
                    "hello osprey world", tokenizer.decode(new long[] {1, 2, 3}).trim());
        }
    }
}
