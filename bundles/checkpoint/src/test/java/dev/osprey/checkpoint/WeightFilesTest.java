package dev.osprey.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/** Single-file, sharded and adapter weights, and the ways an index can be wrong. */
class WeightFilesTest {

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void start() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void stop() {
        manager.close();
    }

    private void shards() throws IOException {
        Safetensors.write(
                dir.resolve("model-00001-of-00002.safetensors"),
                Map.of(
                        "model.embed_tokens.weight",
                        manager.create(new float[] {1, 2, 3, 4}),
                        "model.layers.0.mlp.up_proj.weight",
                        manager.create(new float[] {5, 6})),
                Map.of("format", "pt"),
                "BF16");
        Safetensors.write(
                dir.resolve("model-00002-of-00002.safetensors"),
                Map.of("lm_head.weight", manager.create(new float[] {0.5f, -0.25f})),
                Map.of("format", "pt"),
                "F16");
    }

    private void index(String weightMap) throws IOException {
        Files.writeString(
                dir.resolve(WeightFiles.INDEX_FILE),
                "{\"metadata\": {\"total_size\": 16}, \"weight_map\": {" + weightMap + "}}");
    }

    private static final String GOOD_MAP = "\"model.embed_tokens.weight\": \"model-00001-of-00002.safetensors\","
            + "\"model.layers.0.mlp.up_proj.weight\": \"model-00001-of-00002.safetensors\","
            + "\"lm_head.weight\": \"model-00002-of-00002.safetensors\"";

    @Test
    void shardedFolderLoadsEveryTensorByName() throws IOException {
        shards();
        index(GOOD_MAP);
        WeightFiles weights = WeightFiles.open(dir);
        assertEquals(dir.resolve(WeightFiles.INDEX_FILE), weights.source());
        assertEquals(
                List.of("lm_head.weight", "model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight"),
                List.copyOf(weights.names()));
        assertEquals(
                dir.resolve("model-00002-of-00002.safetensors").toAbsolutePath(), weights.fileOf("lm_head.weight"));
        assertEquals("BF16", weights.info("model.embed_tokens.weight").dtype());
        assertEquals(2, weights.files().size());

        NDArray embed = weights.load(manager, "model.embed_tokens.weight", null);
        assertEquals(DataType.FLOAT32, embed.getDataType());
        assertArrayEquals(new float[] {1, 2, 3, 4}, embed.toFloatArray());
        NDArray head = weights.load(manager, "lm_head.weight", DataType.FLOAT32);
        assertArrayEquals(new float[] {0.5f, -0.25f}, head.toFloatArray());
        assertEquals(
                DataType.FLOAT16, weights.load(manager, "lm_head.weight", null).getDataType());
    }

    @Test
    void singleFileWinsOverAnIndex() throws IOException {
        Safetensors.write(
                dir.resolve(WeightFiles.SINGLE_FILE), Map.of("w", manager.create(new float[] {9})), null, "F32");
        index("\"x\": \"missing.safetensors\"");
        WeightFiles weights = WeightFiles.open(dir);
        assertEquals(Set.of("w"), weights.names());
        assertEquals(dir.resolve(WeightFiles.SINGLE_FILE), weights.fileOf("w"));
        assertArrayEquals(new float[] {9}, weights.load(manager, "w", null).toFloatArray());
    }

    @Test
    void adapterFileOpensDirectly() throws IOException {
        Path adapter = dir.resolve(WeightFiles.ADAPTER_FILE);
        Safetensors.write(
                adapter,
                Map.of("base_model.model.q_proj.lora_A.weight", manager.create(new float[] {1, 2})),
                null,
                "F32");
        CheckpointException e = assertThrows(CheckpointException.class, () -> WeightFiles.open(dir));
        assertTrue(e.getMessage().contains(WeightFiles.ADAPTER_FILE), e.getMessage());
        WeightFiles weights = WeightFiles.openFile(adapter);
        assertTrue(weights.contains("base_model.model.q_proj.lora_A.weight"));
        assertEquals(Set.of(adapter), weights.files());
    }

    @Test
    void missingShardNamesTheIndexTheShardAndTheTensor() throws IOException {
        shards();
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        index(GOOD_MAP);
        CheckpointException e = assertThrows(CheckpointException.class, () -> WeightFiles.open(dir));
        assertTrue(e.getMessage().contains(WeightFiles.INDEX_FILE), e.getMessage());
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("'lm_head.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void indexThatPointsAtTheWrongShard() throws IOException {
        shards();
        index(GOOD_MAP.replace("\"lm_head.weight\": \"model-00002", "\"lm_head.weight\": \"model-00001"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> WeightFiles.open(dir));
        assertTrue(e.getMessage().contains(WeightFiles.INDEX_FILE), e.getMessage());
        assertTrue(e.getMessage().contains("'lm_head.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("model-00001-of-00002.safetensors', which lacks it"), e.getMessage());
    }

    @Test
    void indexWithoutWeightMapOrEscapingTheFolder() throws IOException {
        Files.writeString(dir.resolve(WeightFiles.INDEX_FILE), "{\"metadata\": {}}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> WeightFiles.open(dir));
        assertTrue(
                e.getMessage().contains(WeightFiles.INDEX_FILE)
                        && e.getMessage().contains("'weight_map'"),
                e.getMessage());
        index("\"w\": \"../elsewhere.safetensors\"");
        e = assertThrows(CheckpointException.class, () -> WeightFiles.open(dir));
        assertTrue(
                e.getMessage().contains("'w'") && e.getMessage().contains("inside the model folder"), e.getMessage());
        index("\"w\": 3");
        e = assertThrows(CheckpointException.class, () -> WeightFiles.open(dir));
        assertTrue(e.getMessage().contains("weight_map.w"), e.getMessage());
    }

    @Test
    void corruptShardIsReportedByItsOwnName() throws IOException {
        shards();
        index(GOOD_MAP);
        Files.write(dir.resolve("model-00002-of-00002.safetensors"), new byte[] {1, 2});
        CheckpointException e = assertThrows(CheckpointException.class, () -> WeightFiles.open(dir));
        assertTrue(e.getMessage().startsWith("model-00002-of-00002.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void unknownNameSuggestsSimilarOnes() throws IOException {
        shards();
        index(GOOD_MAP);
        WeightFiles weights = WeightFiles.open(dir);
        CheckpointException e = assertThrows(CheckpointException.class, () -> weights.info("embed_tokens.weight"));
        assertTrue(e.getMessage().contains("'embed_tokens.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("similar: model.embed_tokens.weight"), e.getMessage());
        assertThrows(CheckpointException.class, () -> weights.load(manager, "nope", null));
        assertFalse(weights.contains("nope"));
    }

    @Test
    void emptyFolder() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> WeightFiles.open(dir));
        assertTrue(
                e.getMessage().contains(WeightFiles.SINGLE_FILE)
                        && e.getMessage().contains(WeightFiles.INDEX_FILE),
                e.getMessage());
    }
}
