package dev.osprey.train.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.nn.Pooling;
import dev.osprey.model.task.Embedder;

/**
 * A bare {@code Qwen3Model} checkpoint (Qwen3-Embedding's layout: no "model." prefix, no lm_head) embeds a
 * left-padded batch as transformers' last hidden state pooled at the last token (and by the mean) and
 * normalised; Matryoshka truncation; ms-swift's infonce and cosine_similarity losses on those embeddings.
 */
class EmbeddingReferenceTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void pooledEmbeddingsAndLossesMatchTransformers() throws Exception {
        JsonNode ref = TaskFixtures.reference("embedding-qwen3");
        try (HfModel model = TaskFixtures.load("embedding-qwen3", manager)) {
            DecoderModel decoder = (DecoderModel) model.model();
            NDArray ids = TaskFixtures.array(manager, ref.get("input_ids"), DataType.INT64);
            NDArray mask = TaskFixtures.array(manager, ref.get("attention_mask"), DataType.INT64);
            NDArray last = new Embedder(decoder, Pooling.LAST, null).embed(ids, mask, false);
            SequenceClassifierTest.assertClose(
                    TaskFixtures.array(manager, ref.get("last_token"), DataType.FLOAT32), last, 1e-5);
            SequenceClassifierTest.assertClose(
                    TaskFixtures.array(manager, ref.get("mean"), DataType.FLOAT32),
                    new Embedder(decoder, Pooling.MEAN, null).embed(ids, mask, false),
                    1e-5);
            SequenceClassifierTest.assertClose(
                    TaskFixtures.array(manager, ref.get("last_token_dimensions_16"), DataType.FLOAT32),
                    Embedder.truncate(last, 16),
                    1e-5);

            NDArray anchors = last.get("0:2");
            NDArray others = last.get("2:4");
            for (JsonNode c : ref.get("infonce")) {
                NDArray positives = TaskFixtures.array(manager, c.get("positives"), DataType.INT64);
                double loss = EmbeddingLoss.infonce(
                                anchors, others, positives, c.get("temperature").asDouble())
                        .loss()
                        .getFloat();
                double expected = c.get("loss").asDouble();
                assertEquals(expected, loss, 1e-3 + 1e-4 * expected, "infonce at " + c.get("temperature"));
            }
            JsonNode cosine = ref.get("cosine_similarity");
            double loss = EmbeddingLoss.cosineSimilarity(
                            anchors, others, TaskFixtures.array(manager, cosine.get("labels"), DataType.FLOAT32))
                    .loss()
                    .getFloat();
            assertEquals(cosine.get("loss").asDouble(), loss, 1e-5);
        }
    }
}
