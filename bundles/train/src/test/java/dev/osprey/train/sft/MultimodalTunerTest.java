package dev.osprey.train.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.StagedInputs;
import dev.osprey.train.loop.TrainingListener;

/**
 * ms-swift's {@code --freeze_llm}, {@code --freeze_vit} and {@code --freeze_aligner} on a multimodal model (a decoder
 * with a media stage holding a vision layer and an aligner): by default the language model trains and the vision
 * tower and aligner stay frozen; LoRA's all-linear covers the modules that are not frozen.
 */
class MultimodalTunerTest {

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    /** TinyChatModel's decoder after a stage with {@code visual.blocks.0.fc} and {@code visual.merger.mlp.0}. */
    private DecoderModel model() throws Exception {
        HfConfig hf =
                HfConfig.of(TinyChatModel.config(), TinyChatModel.folder(dir).resolve("config.json"));
        LlamaLikeConfig common = LlamaLikeConfig.read(hf, false, "silu");
        DecoderLayout layout = common.layout(Blocks.attention(common.attention(false, false)), common.gatedMlp(false));
        return new DecoderModel(
                hf,
                layout,
                0,
                false,
                new DecoderModel.Multimodal(
                        p -> {
                            Projection tower = p.linear("visual.blocks.0.fc", 4, 4, true);
                            Projection aligner = p.linear("visual.merger.mlp.0", 4, layout.hiddenSize(), true);
                            // not called in these tests: the tuner reads the modules only
                            return (request, embeddings, positions) -> new StagedInputs(embeddings, positions, null);
                        },
                        new MultimodalKeys(List.of("model", "lm_head"), List.of("visual.merger"), List.of("visual")),
                        key -> key),
                manager,
                DataType.FLOAT32,
                3);
    }

    private Set<String> trained(DecoderModel model, SftArguments args) throws Exception {
        List<String> messages = new ArrayList<>();
        Map<String, NDArray> trainable = Tuner.setUp(model, args, "default", manager, new TrainingListener() {
            @Override
            public void message(String text) {
                messages.add(text);
            }
        });
        return new TreeSet<>(trainable.keySet());
    }

    @Test
    void fullTuningFreezesTheVisionTowerAndTheAlignerByDefault() throws Exception {
        Set<String> trained = trained(model(), new SftArguments().trainType("full"));
        assertTrue(trained.contains("model.layers.0.self_attn.q_proj.weight"), trained.toString());
        assertTrue(trained.contains("lm_head.weight"), trained.toString());
        assertTrue(trained.stream().noneMatch(k -> k.startsWith("visual.")), trained.toString());

        trained = trained(
                model(),
                new SftArguments().trainType("full").freezeAligner(false).freezeLlm(true));
        assertEquals(Set.of("visual.merger.mlp.0.bias", "visual.merger.mlp.0.weight"), trained);

        trained = trained(model(), new SftArguments().trainType("full").freezeVit(false));
        assertTrue(trained.contains("visual.blocks.0.fc.weight"), trained.toString());
        assertFalse(trained.contains("visual.merger.mlp.0.weight"), "the aligner is frozen on its own");
    }

    @Test
    void loraAllLinearAdaptsTheModulesThatAreNotFrozen() throws Exception {
        DecoderModel model = model();
        trained(model, new SftArguments().trainType("lora"));
        Set<String> adapted = new TreeSet<>();
        for (Linear l : model.linears()) {
            if (l.adapter("default") != null) {
                adapted.add(l.name());
            }
        }
        assertTrue(adapted.contains("model.layers.0.self_attn.q_proj"), adapted.toString());
        assertTrue(adapted.stream().noneMatch(n -> n.startsWith("visual.")), adapted.toString());

        DecoderModel open = model();
        trained(open, new SftArguments().trainType("lora").freezeVit(false).freezeAligner(false));
        assertTrue(open.linears().stream().allMatch(l -> l.adapter("default") != null), "every linear adapted");

        assertThrows(
                IllegalArgumentException.class,
                () -> trained(model(), new SftArguments().trainType("lora").freezeLlm(true)));
    }

    @Test
    void vitLrAndAlignerLrScaleTheArraysOfTheirModules() throws Exception {
        DecoderModel model = model();
        SftArguments lora = new SftArguments()
                .trainType("lora")
                .freezeVit(false)
                .freezeAligner(false)
                .learningRate(1e-4)
                .vitLr(1e-5)
                .alignerLr(2e-4);
        Map<String, Double> scales = Tuner.learningRateScales(model, trained(model, lora), lora);
        assertEquals(0.1, scales.get("visual.blocks.0.fc.lora_A"), 1e-12);
        assertEquals(0.1, scales.get("visual.blocks.0.fc.lora_B"), 1e-12);
        assertEquals(2.0, scales.get("visual.merger.mlp.0.lora_A"), 1e-12);
        assertFalse(scales.containsKey("model.layers.0.self_attn.q_proj.lora_A"), scales.toString());

        SftArguments full =
                new SftArguments().trainType("full").freezeVit(false).vitLr(5e-5);
        DecoderModel fullModel = model();
        scales = Tuner.learningRateScales(fullModel, trained(fullModel, full), full);
        assertEquals(Map.of("visual.blocks.0.fc.weight", 0.5, "visual.blocks.0.fc.bias", 0.5), scales);
    }

    @Test
    void aTextModelIgnoresTheMultimodalFlags() throws Exception {
        DecoderModel text = TinyChatModel.model(manager, TinyChatModel.folder(dir.resolve("text")));
        SftArguments args = new SftArguments().trainType("full").freezeLlm(true).vitLr(1e-5);
        Set<String> trained = trained(text, args);
        assertEquals(text.parameters().keySet(), trained);
        assertEquals(Map.of(), Tuner.learningRateScales(text, trained, args));
    }
}
