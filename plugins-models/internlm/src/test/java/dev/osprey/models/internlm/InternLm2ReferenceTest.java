package dev.osprey.models.internlm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.checkpoint.Safetensors;
import dev.osprey.checkpoint.TensorInfo;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens (batched and cached, through dynamic NTK scaling) and a PEFT LoRA adapter on
 * wqkv, wo, w1, w2 and w3 (attached and merged) equal those transformers computed for a tiny InternLM2
 * checkpoint. InternLM2 is remote code: tools/make-internlm2-fixtures.py computes the outputs with
 * LlamaForCausalLM on the same weights in Llama's keys and writes the checkpoint in InternLM2's.
 */
class InternLm2ReferenceTest {

    /** The fixture's shape: 4 query heads, 2 key/value heads (groups of 2), head_dim 8, hidden 32. */
    private static final int KV_HEADS = 2;

    private static final int GROUP = 2;
    private static final int HEAD_DIM = 8;

    private static final String TINY = "{\"model_type\": \"internlm2\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 1";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "internlm2", new InternLm2Architecture());
    }

    @Test
    void wqkvReadAsPhi3sQThenKThenVFailsTheReference() throws Exception {
        // the same weights with each wqkv re-packed as [all q | all k | all v]: a wrong order must not pass
        Path copy = dir.resolve("internlm2-unpacked");
        copyFolder(HfReference.fixture(getClass(), "internlm2"), copy);
        Path file = copy.resolve("model.safetensors");
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, TensorInfo> e : Safetensors.readHeader(file).entrySet()) {
                NDArray t = Safetensors.read(manager, file, e.getValue(), DataType.FLOAT32);
                tensors.put(e.getKey(), e.getKey().endsWith("wqkv.weight") ? qThenKThenV(t) : t);
            }
            Safetensors.write(file, tensors, Map.of("format", "pt"), "F32");
        }
        AssertionError wrong =
                assertThrows(AssertionError.class, () -> HfReference.check(copy, new InternLm2Architecture()));
        assertTrue(wrong.getMessage().contains("logit"), wrong.getMessage());
    }

    @Test
    void gradientsFlowThroughThePackedWqkvAndTheMlp() throws Exception {
        Path folder = HfReference.fixture(getClass(), "internlm2");
        // the first rows of wqkv are query head 0's: they reach the loss through the slicing of the packed heads
        GradientCheck.check(folder, new InternLm2Architecture(), "model.layers.0.attention.wqkv.weight", 1e-2f);
        GradientCheck.check(folder, new InternLm2Architecture(), "model.layers.1.feed_forward.w1.weight", 1e-2f);
        GradientCheck.check(folder, new InternLm2Architecture(), "model.layers.0.ffn_norm.weight", 1e-2f);
    }

    @Test
    void loraTargetsInternLmsOwnNames() {
        assertEquals(Set.of("wqkv", "wo", "w1", "w2", "w3"), new InternLm2Architecture().linearModules());
    }

    @Test
    void configErrorsNameTheirField() throws Exception {
        assertNamed("num_attention_heads", TINY + "}");
        assertNamed("num_key_value_heads", TINY + ", \"num_attention_heads\": 4, \"num_key_value_heads\": 3}");
        assertNamed("hidden_act", TINY + ", \"num_attention_heads\": 2, \"hidden_act\": \"gelu\"}");
        assertNamed("intermediate_size", TINY.replace("16,", "0,") + ", \"num_attention_heads\": 2}");
        assertNamed("rope", TINY + ", \"num_attention_heads\": 2, \"rope_scaling\": {\"type\": \"nope\"}}");
    }

    @Test
    void biasDefaultsToTrueAsInternLm2ConfigSays() throws Exception {
        assertTrue(config(TINY + ", \"num_attention_heads\": 2}").bias());
        assertFalse(
                config(TINY + ", \"num_attention_heads\": 2, \"bias\": false}").bias());
    }

    /**
     * @param packed (kvHeads·(G+2)·D, H) in InternLM2's order
     * @return (heads·D + 2·kvHeads·D, H): all q rows, then all k, then all v
     */
    private static NDArray qThenKThenV(NDArray packed) {
        long in = packed.getShape().get(1);
        NDArray heads = packed.reshape(KV_HEADS, GROUP + 2, HEAD_DIM, in); // (kvHeads, G+2, D, H)
        NDArray q = heads.get(new NDIndex(":, :{}", GROUP)).reshape(-1, in); // (heads·D, H)
        NDArray k = heads.get(new NDIndex(":, {}", GROUP)).reshape(-1, in); // (kvHeads·D, H)
        NDArray v = heads.get(new NDIndex(":, {}", GROUP + 1)).reshape(-1, in); // (kvHeads·D, H)
        return q.concat(k, 0).concat(v, 0);
    }

    private void assertNamed(String field, String json) throws IOException {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> config(json).layout());
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }

    private InternLm2Architecture.InternLm2Config config(String json) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return InternLm2Architecture.InternLm2Config.from(HfConfig.read(file));
    }

    private static void copyFolder(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
