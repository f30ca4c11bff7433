package dev.osprey.openai.impl;

import java.util.UUID;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.api.inference.ClassificationRequest;
import dev.osprey.api.inference.ClassificationResult;
import dev.osprey.api.inference.EmbeddingRequest;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.inference.PoolingSession;

/**
 * {@code POST /classify} and {@code /v1/classify} in vLLM's shape, for a model served with {@code task_type seq_cls}
 * (classifiers, reward models): {@code input} as {@code /v1/embeddings} takes it; each of {@code data} has
 * {@code index}, {@code label} (the most likely class's {@code id2label} name), {@code probs} (the softmax over the
 * classes; for one label, its sigmoid), {@code num_classes}, and {@code logits} (the raw scores: a reward model's
 * reward).
 */
final class ClassifyEndpoint {

    private ClassifyEndpoint() {}

    static ObjectNode answer(InferenceSession session, ObjectNode body) {
        Fields f = new Fields(body);
        String model =
                OpenAiServlet.servedModel(session, f.string("model", null)).id();
        if (!(session instanceof PoolingSession pooling)) {
            throw ApiException.badRequest("this backend does not serve classifiers", "model");
        }
        EmbeddingRequest inputs = EmbeddingsEndpoint.request(model, body.get("input"), 0);
        ClassificationResult result =
                pooling.classify(new ClassificationRequest(model, inputs.texts(), inputs.tokenIds()));
        ObjectNode out = Json.object()
                .put("id", "classify-" + UUID.randomUUID())
                .put("object", "list")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", model);
        ArrayNode data = out.putArray("data");
        for (int i = 0; i < result.logits().size(); i++) {
            float[] logits = result.logits().get(i);
            double[] probs = probabilities(logits);
            int best = 0;
            for (int c = 1; c < probs.length; c++) {
                best = probs[c] > probs[best] ? c : best;
            }
            ObjectNode item = data.addObject()
                    .put("index", i)
                    .put("label", result.labels().get(best));
            ArrayNode p = item.putArray("probs");
            for (double v : probs) {
                p.add(v);
            }
            item.put("num_classes", logits.length);
            ArrayNode raw = item.putArray("logits");
            for (float v : logits) {
                raw.add(v);
            }
        }
        out.putObject("usage").put("prompt_tokens", result.promptTokens()).put("total_tokens", result.promptTokens());
        return out;
    }

    /** The softmax of the logits; the sigmoid of a single one. */
    static double[] probabilities(float[] logits) {
        if (logits.length == 1) {
            return new double[] {1 / (1 + Math.exp(-logits[0]))};
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
