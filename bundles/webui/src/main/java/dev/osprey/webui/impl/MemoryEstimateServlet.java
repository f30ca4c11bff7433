package dev.osprey.webui.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.train.TrainingMethod;
import dev.osprey.checkpoint.WeightFiles;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code POST /api/webui/memory-estimate} with {@code {"method": "sft", "arguments": {...}}}: the
 * {@link MemoryEstimate} of the job the form would launch, the arguments it leaves out taking the method's
 * defaults; the parameters are counted from the checkpoint's safetensors headers when it has them.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/webui/memory-estimate")
public class MemoryEstimateServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient ModelService models;
    private final transient ExtensionRegistry extensions;

    @Activate
    public MemoryEstimateServlet(@Reference ModelService models, @Reference ExtensionRegistry extensions) {
        this.models = models;
        this.extensions = extensions;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            TrainFormServlet.requireMethod(request, "POST");
            JsonNode body = TrainFormServlet.body(request);
            Json.send(response, 200, estimate(body.path("method").asText("sft"), TrainFormServlet.values(body)));
        } catch (Json.Refusal e) {
            Json.error(response, e.status, e.param, e.getMessage());
        } catch (IllegalArgumentException e) {
            Json.error(response, 400, Json.fieldOf(e.getMessage()), e.getMessage());
        }
    }

    Map<String, Object> estimate(String method, Map<String, Object> given) throws IOException {
        Map<String, Object> values = new LinkedHashMap<>();
        try (ExtensionHandle<TrainingMethod> handle = extensions.require(TrainingMethod.class, method)) {
            for (ArgumentSpec spec : handle.get().arguments()) {
                if (!spec.defaultValue().isEmpty()) {
                    values.put(
                            spec.name(),
                            spec.type() == ArgumentSpec.Type.LIST
                                    ? spec.defaultValue()
                                    : spec.defaultValue().get(0));
                }
            }
        }
        values.putAll(given);
        Arguments args = Arguments.of(values);
        String model = args.getString("model")
                .orElseThrow(() -> new Json.Refusal(400, "arguments.model", "--model is needed for a memory estimate"));
        Path folder = Files.isDirectory(Path.of(model)) ? Path.of(model) : models.locate(ModelRequest.of(model));
        Path config = folder.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw new Json.Refusal(400, "arguments.model", folder + " has no config.json");
        }
        MemoryEstimate.Shape shape = MemoryEstimate.Shape.of(TrainFormServlet.JSON.readTree(config.toFile()));
        MemoryEstimate.Settings settings = new MemoryEstimate.Settings(
                args.getString("train_type", "lora"),
                args.getInt("quant_bits", 0),
                args.getInt("lora_rank", 8),
                args.getList("target_modules"),
                args.getInt("per_device_train_batch_size", 1) * sequencesPerExample(method, args),
                args.getInt("max_length", 2048),
                args.getBoolean("gradient_checkpointing", true),
                args.getString("torch_dtype", "float32"));
        long counted = checkpointParameters(folder);
        MemoryEstimate e = MemoryEstimate.of(shape, settings, counted);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("estimate", true);
        body.put("model", folder.toString());
        body.put("parameters", e.parameters());
        body.put("parameters_from", counted > 0 ? "checkpoint" : "config");
        body.put("trainable", e.trainable());
        body.put("weights_bytes", e.weights());
        body.put("adapters_bytes", e.adapters());
        body.put("gradients_bytes", e.gradients());
        body.put("optimizer_bytes", e.optimizer());
        body.put("activations_bytes", e.activations());
        body.put("total_bytes", e.total());
        body.put("sequences_per_example", sequencesPerExample(method, args));
        body.put("settings", settings);
        return body;
    }

    /**
     * The sequences one example runs through the model at once: a preference pair's chosen and rejected answers, GRPO's
     * {@code --num_generations} completions of a prompt, else one.
     */
    static int sequencesPerExample(String method, Arguments args) {
        return switch (method) {
            case "dpo", "simpo", "orpo", "cpo", "rm" -> 2;
            case "grpo" -> args.getInt("num_generations", 8);
            default -> 1;
        };
    }

    /** The parameters the checkpoint's safetensors headers list; 0 when it has none. */
    private static long checkpointParameters(Path folder) throws IOException {
        if (!Files.isRegularFile(folder.resolve(WeightFiles.SINGLE_FILE))
                && !Files.isRegularFile(folder.resolve(WeightFiles.INDEX_FILE))) {
            return 0;
        }
        WeightFiles files = WeightFiles.open(folder);
        return files.names().stream().mapToLong(n -> files.info(n).numel()).sum();
    }
}
