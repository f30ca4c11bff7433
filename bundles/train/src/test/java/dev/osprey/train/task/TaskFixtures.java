package dev.osprey.train.task;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.decoder.CommonConfig;
import dev.osprey.model.decoder.DecoderArchitecture;
import dev.osprey.model.decoder.DecoderSpec;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;

/**
 * The checkpoints of {@code tools/make-task-fixtures.py} (transformers' classifier and embedding models) and
 * the numbers transformers computed for them, in {@code src/test/resources/tasks}; loaded with the decoder
 * specs of the Qwen2, Llama and Qwen3 families (the families themselves are plugin bundles).
 */
@SuppressWarnings("deprecation")
final class TaskFixtures {

    static final Path ROOT = Path.of("src/test/resources/tasks");

    private TaskFixtures() {}

    static HfModel load(String name, NDManager manager) throws IOException {
        return ModelLoader.load(ROOT.resolve(name), TaskFixtures::architecture, manager, DataType.FLOAT32);
    }

    static JsonNode reference(String name) throws IOException {
        return new ObjectMapper()
                .readTree(ROOT.resolve(name).resolve("reference.json").toFile());
    }

    /** A reference's {@code {shape, values}} (or a plain nested list) as an array. */
    static NDArray array(NDManager manager, JsonNode node, DataType type) {
        JsonNode values = node.has("values") ? node.get("values") : node;
        java.util.List<Long> shape = new java.util.ArrayList<>();
        JsonNode n = values;
        while (n.isArray()) {
            shape.add((long) n.size());
            n = n.get(0);
        }
        java.util.List<Double> flat = new java.util.ArrayList<>();
        flatten(values, flat);
        double[] d = flat.stream().mapToDouble(Double::doubleValue).toArray();
        Shape s = new Shape(shape.stream().mapToLong(Long::longValue).toArray());
        return manager.create(d, s).toType(type, false);
    }

    private static void flatten(JsonNode n, java.util.List<Double> out) {
        if (n.isArray()) {
            n.forEach(c -> flatten(c, out));
        } else {
            out.add(n.asDouble());
        }
    }

    static ModelArchitecture architecture(ModelConfig config) {
        String type = config.getString("model_type").orElseThrow();
        return new DecoderArchitecture() {
            @Override
            public String name() {
                return type;
            }

            @Override
            public Set<String> architectures() {
                return Set.of();
            }

            @Override
            protected DecoderSpec spec(ModelConfig c) {
                CommonConfig common = CommonConfig.read(c, false, "silu");
                return switch (type) {
                    case "qwen2" -> common.spec(true, false, false, false, 0f, 1, 0);
                    case "qwen3" -> common.spec(false, false, false, true, 0f, 1, 0);
                    default -> common.spec(false, false, false, false, 0f, 1, 0);
                };
            }
        };
    }
}
