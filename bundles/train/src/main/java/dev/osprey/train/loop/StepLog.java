package dev.osprey.train.loop;

import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What one optimizer step did, as {@code logging.jsonl} and {@code trainer_state.json} hold it.
 *
 * @param step 1-based
 * @param tokens every token the step ran through the trained model ({@code num_tokens})
 * @param metrics the objective's other metrics and fields, in log order ({@code rewards/margins}, ...)
 * @param eval the evaluation after this step, names prefixed {@code eval_}; empty when it did not evaluate
 */
public record StepLog(
        long step,
        long totalSteps,
        double loss,
        double learningRate,
        double gradNorm,
        long tokens,
        Map<String, Object> metrics,
        Map<String, Double> eval) {

    private static final Set<String> FIELDS =
            Set.of("step", "total_steps", "loss", "learning_rate", "grad_norm", "num_tokens");
    private static final ObjectMapper JSON = new ObjectMapper();

    public StepLog {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        eval = Collections.unmodifiableMap(new LinkedHashMap<>(eval));
    }

    /** The same step with its evaluation. */
    public StepLog withEval(Map<String, Double> evalMetrics) {
        return new StepLog(step, totalSteps, loss, learningRate, gradNorm, tokens, metrics, evalMetrics);
    }

    /** A numeric metric of the step or its evaluation, NaN when absent. */
    public double metric(String name) {
        Object value = switch (name) {
            case "loss" -> loss;
            case "learning_rate" -> learningRate;
            case "grad_norm" -> gradNorm;
            case "num_tokens" -> tokens;
            default -> eval.containsKey(name) ? eval.get(name) : metrics.get(name);
        };
        return value instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** The record under TRL's names: step, total_steps, loss, learning_rate, grad_norm, the metrics, num_tokens, the eval metrics. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("step", step);
        map.put("total_steps", totalSteps);
        map.put("loss", loss);
        map.put("learning_rate", learningRate);
        map.put("grad_norm", gradNorm);
        map.putAll(metrics);
        map.put("num_tokens", tokens);
        map.putAll(eval);
        return map;
    }

    /** Reads {@link #toMap()}'s form back (from {@code trainer_state.json}). */
    public static StepLog fromJson(JsonNode node) {
        Map<String, Object> metrics = new LinkedHashMap<>();
        Map<String, Double> eval = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            if (FIELDS.contains(name)) {
                continue;
            }
            if (name.startsWith("eval_")) {
                eval.put(name, field.getValue().asDouble());
            } else {
                metrics.put(name, JSON.convertValue(field.getValue(), Object.class));
            }
        }
        return new StepLog(
                node.path("step").asLong(),
                node.path("total_steps").asLong(),
                node.path("loss").asDouble(),
                node.path("learning_rate").asDouble(),
                node.path("grad_norm").asDouble(),
                node.path("num_tokens").asLong(),
                metrics,
                eval);
    }

    /** The numeric metrics of the step and its evaluation, for progress events. */
    public Map<String, Double> numbers() {
        Map<String, Double> numbers = new LinkedHashMap<>();
        toMap().forEach((k, v) -> {
            if (v instanceof Number n && !k.equals("step") && !k.equals("total_steps")) {
                numbers.put(k, n.doubleValue());
            }
        });
        return numbers;
    }

    /** The losses of some steps, in order. */
    public static double[] losses(List<StepLog> steps) {
        return steps.stream().mapToDouble(StepLog::loss).toArray();
    }
}
