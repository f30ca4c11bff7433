package dev.osprey.models.gemmavision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.models.siglip.SiglipConfig;

/**
 * The Hub's config.json files leave most fields to transformers' defaults (written by transformers 4): these read
 * as transformers 5.12.1's {@code PaliGemmaConfig} and {@code Gemma3Config} resolve them (the numbers below are what
 * those classes gave for the same files).
 */
class HubConfigsTest {

    @Test
    void paliGemma3bReadsAsTransformersResolvesIt() throws Exception {
        ModelConfig config = hub("paligemma-3b-pt-224.json");
        GemmaVisionFamily family = GemmaVisionReferenceTest.paliGemma();
        ModelConfig text = family.textConfig(config);
        assertEquals("gemma", text.modelType());
        LlamaLikeConfig c = LlamaLikeConfig.read(text, true, "gelu_pytorch_tanh");
        assertEquals(257216, c.vocabSize());
        assertEquals(2048, c.hiddenSize());
        assertEquals(18, c.layers());
        assertEquals(8, c.heads());
        assertEquals(1, c.kvHeads());
        assertEquals(256, c.headDim());
        assertEquals(16384, c.intermediateSize());
        DecoderLayout layout = family.layout(config);
        assertEquals("language_model.model.layers", layout.keys().layers());
        assertEquals("language_model.model.embed_tokens", layout.keys().embedTokens());
        assertTrue(layout.tieWordEmbeddings());
        assertEquals(Math.sqrt(2048), layout.embeddingScale(), 1e-12);
        SiglipConfig vision = SiglipConfig.read(config, "vision_config");
        assertEquals(new SiglipConfig(1152, 4304, 27, 16, 3, 224, 14, 1e-6, "gelu_pytorch_tanh"), vision);
        assertEquals(256, vision.patches(), "image_seq_length");
    }

    @Test
    void gemma3With4bReadsAsTransformersResolvesIt() throws Exception {
        ModelConfig config = hub("gemma-3-4b-it.json");
        GemmaVisionFamily family = GemmaVisionReferenceTest.gemma3();
        ModelConfig text = family.textConfig(config);
        LlamaLikeConfig c = LlamaLikeConfig.read(text, true, "gelu_pytorch_tanh");
        assertEquals(262208, c.vocabSize());
        assertEquals(2560, c.hiddenSize());
        assertEquals(34, c.layers());
        assertEquals(8, c.heads());
        assertEquals(4, c.kvHeads());
        assertEquals(256, c.headDim());
        assertEquals(1024, text.getInt(0, "sliding_window"));
        assertEquals(34, family.layout(config).layers());
        assertEquals(0.0, family.finalLogitSoftcap(config), "Gemma3ForConditionalGeneration does not cap");
        SiglipConfig vision = SiglipConfig.read(config, "vision_config");
        assertEquals(896, vision.imageSize());
        assertEquals(64 * 64, vision.patches());
        family.mediaStage(config); // 256 tokens: 4 x 4 squares of 64 x 64 patches
    }

    @Test
    void aTextConfigOfAnotherFamilyIsRefusedByName() {
        ModelConfig config = HfConfig.of(
                Map.of("model_type", "paligemma", "text_config", Map.of("model_type", "llama")),
                Path.of("config.json"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> GemmaVisionReferenceTest.paliGemma().layout(config));
        assertTrue(
                e.getMessage().contains("text_config.model_type 'llama'")
                        && e.getMessage().contains("config.json"),
                e.getMessage());
    }

    @Test
    void mmTokensThatDoNotTileThePatchesAreRefused() {
        ModelConfig config = HfConfig.of(
                Map.of("model_type", "gemma3", "mm_tokens_per_image", 200, "text_config", Map.of("hidden_size", 32)),
                Path.of("config.json"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> GemmaVisionReferenceTest.gemma3().mediaStage(config).create(null));
        assertTrue(e.getMessage().contains("mm_tokens_per_image (200)"), e.getMessage());
    }

    private static ModelConfig hub(String name) throws IOException, URISyntaxException {
        return HfConfig.read(
                Path.of(HubConfigsTest.class.getResource("/hub-configs/" + name).toURI()));
    }
}
