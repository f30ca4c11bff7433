package dev.osprey.models.llava;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.LlamaLikeConfig;

/**
 * LLaVA 1.5's Hub configs name little more than the language model's type: the sizes Osprey reads from such a sparse
 * config (tools/make-llava-fixtures.py, case llava-sparse-config) are those transformers' {@code LlavaConfig} resolves
 * (its {@code LlamaConfig} and {@code CLIPVisionConfig} defaults), so a 7B checkpoint is laid out as transformers lays
 * it out.
 */
class SparseConfigTest {

    @Test
    void aSparseTextConfigTakesTransformersDefaults() throws Exception {
        Path folder = Path.of(SparseConfigTest.class
                        .getResource("/reference/llava-sparse-config/config.json")
                        .toURI())
                .getParent();
        JsonNode resolved =
                new ObjectMapper().readTree(folder.resolve("resolved.json").toFile());
        HfConfig config = HfConfig.read(folder.resolve("config.json"));
        LlavaArchitecture llava = new LlavaArchitecture(LlavaReferenceTest.languageModels());

        JsonNode t = resolved.get("text");
        LlamaLikeConfig text = LlamaLikeConfig.read(llava.text(config), false, "silu");
        assertEquals(t.get("vocab_size").asInt(), text.vocabSize());
        assertEquals(t.get("hidden_size").asInt(), text.hiddenSize());
        assertEquals(t.get("intermediate_size").asInt(), text.intermediateSize());
        assertEquals(t.get("num_hidden_layers").asInt(), text.layers());
        assertEquals(t.get("num_attention_heads").asInt(), text.heads());
        assertEquals(t.get("num_key_value_heads").asInt(), text.kvHeads());
        assertEquals(t.get("rms_norm_eps").asDouble(), text.rmsEps());
        assertEquals(t.get("hidden_act").asText(), text.activation());
        assertEquals(t.get("rope_theta").asDouble(), llava.text(config).getDouble(0, "rope_theta"));

        DecoderLayout layout = llava.layout(config);
        assertEquals(t.get("hidden_size").asInt(), layout.hiddenSize());
        assertEquals(t.get("num_hidden_layers").asInt(), layout.layers());
        assertFalse(layout.tieWordEmbeddings());
        assertEquals("language_model.model.layers", layout.keys().layers());

        JsonNode v = resolved.get("vision");
        ClipVisionTower.Config vision = ClipVisionTower.Config.read(config);
        assertEquals(v.get("hidden_size").asInt(), vision.hidden());
        assertEquals(v.get("hidden_act").asText(), vision.activation());
        assertEquals(v.get("layer_norm_eps").asDouble(), vision.eps());
        assertEquals(v.get("num_hidden_layers").asInt(), vision.layers());
        assertEquals(v.get("image_size").asInt(), vision.imageSize());
        assertEquals(v.get("patch_size").asInt(), vision.patchSize());
        assertEquals(resolved.get("image_token_id").asLong(), LlavaFamily.imageToken(config, 32000));
    }
}
