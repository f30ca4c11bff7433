package dev.osprey.devtools.impl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.Losses;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code osprey logits}: one forward pass over given token ids; writes the logits (shape and values)
 * and, with labels, the causal-LM loss as transformers computes it.
 */
@Command(
        name = "logits",
        mixinStandardHelpOptions = true,
        description = "Run a forward pass on token ids and write the logits (and the loss, given labels) as JSON.")
public class LogitsCommand extends ModelCommand implements Callable<Integer> {

    @Option(
            names = "--input_ids",
            required = true,
            paramLabel = "JSON",
            description = "token ids, e.g. '[[1,2,3],[4,5,6]]'")
    String inputIds;

    @Option(
            names = "--attention_mask",
            paramLabel = "JSON",
            description = "1 for tokens, 0 for padding, same shape as --input_ids")
    String attentionMask;

    @Option(names = "--labels", paramLabel = "JSON", description = "labels (-100 to ignore), same shape as --input_ids")
    String labels;

    @Option(names = "--output", paramLabel = "FILE", description = "where to write the JSON (default: standard output)")
    Path output;

    @Override
    public Integer call() throws Exception {
        return withModel();
    }

    @Override
    Integer run(HfModel model, String adapter, NDManager manager) throws Exception {
        List<long[]> ids = TokenIds.parse("--input_ids", inputIds, true);
        long vocab = model.config().requireInt("vocab_size");
        TokenIds.checkVocabulary("--input_ids", ids, vocab, false);
        Shape shape = new Shape(ids.size(), ids.get(0).length);
        ForwardRequest.Builder request = ForwardRequest.builder(manager.create(TokenIds.flatten(ids), shape))
                .optAdapter(adapter);
        if (attentionMask != null) {
            request.optAttentionMask(matrix(manager, "--attention_mask", attentionMask, shape));
        }
        Map<String, Object> result = new LinkedHashMap<>();
        try (NDArray logits = model.model().forward(request.build()).logits()) { // (B, T, V)
            result.put("shape", logits.getShape().getShape());
            result.put("logits", nested(logits.toFloatArray(), logits.getShape()));
            if (labels != null) {
                NDArray labelArray = matrix(manager, "--labels", labels, shape);
                TokenIds.checkVocabulary("--labels", TokenIds.parse("--labels", labels, true), vocab, true);
                result.put("loss", Losses.causalLm(logits, labelArray).getFloat());
            }
        }
        String json = new ObjectMapper().writeValueAsString(result);
        if (output == null) {
            out().println(json);
        } else {
            Files.writeString(output, json);
            out().printf(
                            "wrote logits %s%s to %s%n",
                            result.get("shape") instanceof long[] s ? Arrays.toString(s) : "",
                            result.containsKey("loss") ? " and loss " + result.get("loss") : "",
                            output);
        }
        out().flush();
        return 0;
    }

    private static NDArray matrix(NDManager manager, String option, String json, Shape shape) {
        List<long[]> rows = TokenIds.parse(option, json, true);
        Shape given = new Shape(rows.size(), rows.get(0).length);
        if (!given.equals(shape)) {
            throw new IllegalArgumentException(option + " is " + given + " but --input_ids is " + shape);
        }
        return manager.create(TokenIds.flatten(rows), shape);
    }

    /** (B, T, V) as nested lists. */
    private static List<List<float[]>> nested(float[] values, Shape shape) {
        int b = (int) shape.get(0);
        int t = (int) shape.get(1);
        int v = (int) shape.get(2);
        List<List<float[]>> rows = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            List<float[]> row = new ArrayList<>();
            for (int j = 0; j < t; j++) {
                int from = (i * t + j) * v;
                row.add(Arrays.copyOfRange(values, from, from + v));
            }
            rows.add(row);
        }
        return rows;
    }
}
