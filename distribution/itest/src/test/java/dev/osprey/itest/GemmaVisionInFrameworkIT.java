package dev.osprey.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;

import java.util.Map;
import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.checkpoint.HfConfig;

/**
 * PaliGemma and Gemma 3 vision inside Felix: their bundle finds the Gemma bundle's decoders as services (DS binds
 * them), builds the tiny fixture models of plugins-models/gemma-vision and runs a pass with an image; the registry
 * lists their ids as image models.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GemmaVisionInFrameworkIT {

    private static final String FIXTURES = "plugins-models/gemma-vision/src/test/resources/reference/";

    @Inject
    BundleContext context;

    @Inject
    ModelRegistry models;

    @Configuration
    public Option[] config() throws Exception {
        return TestPlatform.platform(
                TestPlatform.newPluginsDir(),
                TestPlatform.freePort(),
                bundle(TestPlatform.reactorJar("plugins-models/gemma-vision", "osprey-models-gemma-vision")
                        .toUri()
                        .toString()));
    }

    @Test
    public void paliGemmaAndGemma3BuildOnTheGemmaBundlesDecodersAndTakeAnImage() throws Exception {
        for (String[] c : new String[][] {{"paligemma", "paligemma", "16"}, {"gemma3", "gemma3-vision", "4"}}) {
            ModelArchitecture architecture = architecture(c[0]);
            assertEquals("dev.osprey.models.gemmavision", bundleOf(architecture));
            HfConfig config = HfConfig.read(TestPlatform.root().resolve(FIXTURES + c[1] + "/config.json"));
            int tokens = Integer.parseInt(c[2]);
            try (NDManager m = NDManager.newBaseManager();
                    LanguageModel model = architecture.build(config, m)) {
                long[] ids = new long[tokens + 3];
                java.util.Arrays.fill(ids, 152); // the fixtures' image token
                ids[tokens] = 2;
                ids[tokens + 1] = 17;
                ids[tokens + 2] = 93;
                NDArray pixels = m.randomNormal(new Shape(1, 3, 32, 32));
                NDArray logits = model.forward(ForwardRequest.builder(m.create(ids, new Shape(1, ids.length)))
                                .optMedia(MediaTensors.of(Map.of(MediaTensors.PIXEL_VALUES, pixels)))
                                .build())
                        .logits();
                assertArrayEquals(
                        c[0], new long[] {1, ids.length, 160}, logits.getShape().getShape());
                assertTrue(c[0] + " has modules", model.multimodalKeys().isPresent());
            }
        }
    }

    @Test
    public void theRegistryListsTheirIdsAsImageModels() {
        var paligemma = models.find("google/paligemma2-3b-pt-896").orElseThrow();
        assertEquals("paligemma", paligemma.modelType());
        assertTrue(paligemma.tags().contains("vision"));
        assertEquals("gemma3", models.find("google/gemma-3-4b-it").orElseThrow().modelType());
    }

    private ModelArchitecture architecture(String name) throws Exception {
        for (ServiceReference<ModelArchitecture> ref : context.getServiceReferences(ModelArchitecture.class, null)) {
            ModelArchitecture a = context.getService(ref);
            if (a.name().equals(name)) {
                return a;
            }
        }
        throw new AssertionError("no architecture " + name);
    }

    private String bundleOf(ModelArchitecture architecture) {
        var bundle = org.osgi.framework.FrameworkUtil.getBundle(architecture.getClass());
        assertNotNull(bundle);
        return bundle.getSymbolicName();
    }
}
