package dev.osprey.webui.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.databind.JsonNode;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.dataset.DatasetService;
import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.chat.ChatPromptEncoder;
import dev.osprey.chat.ChosenTemplate;
import dev.osprey.checkpoint.GenerationConfig;
import dev.osprey.checkpoint.TokenizerConfig;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code POST /api/webui/dataset-preview} with the form's {@code {"arguments": {...}}}: the first rows of
 * {@code --dataset} as training sees them, read by the platform's dataset reader, rendered by the template the one
 * precedence chooses for {@code --model} (or {@code --template}) and tokenized by the model's tokenizer with the
 * platform's prompt encoder, cut at {@code --max_length}: each row as runs of text, marked where the loss is
 * computed ({@code --loss_scale}). Reads the model's tokenizer files only, never its weights.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/webui/dataset-preview")
public class DatasetPreviewServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final int DEFAULT_ROWS = 3;
    private static final int MAX_ROWS = 20;

    private final transient ModelService models;
    private final transient ModelRegistry registry;
    private final transient ExtensionRegistry extensions;
    private final transient DatasetService datasets;

    /**
     * @param engine taken only to start after it: the tokenizers' natives are ready once the engine service is there
     */
    @Activate
    public DatasetPreviewServlet(
            @Reference EngineRuntime engine,
            @Reference ModelService models,
            @Reference ModelRegistry registry,
            @Reference ExtensionRegistry extensions,
            @Reference DatasetService datasets) {
        this.models = models;
        this.registry = registry;
        this.extensions = extensions;
        this.datasets = datasets;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            TrainFormServlet.requireMethod(request, "POST");
            JsonNode body = TrainFormServlet.body(request);
            int rows = Math.min(MAX_ROWS, Math.max(1, body.path("rows").asInt(DEFAULT_ROWS)));
            Json.send(response, 200, preview(TrainFormServlet.arguments(body), rows));
        } catch (Json.Refusal e) {
            Json.error(response, e.status, e.param, e.getMessage());
        } catch (IllegalArgumentException e) {
            Json.error(response, 400, Json.fieldOf(e.getMessage()), e.getMessage());
        }
    }

    Map<String, Object> preview(Arguments args, int rows) throws IOException {
        String model = args.getString("model")
                .orElseThrow(() -> new Json.Refusal(
                        400, "arguments.model", "--model is needed to render the dataset with its template"));
        List<String> given = args.getList("dataset");
        if (given.isEmpty()) {
            throw new Json.Refusal(400, "arguments.dataset", "--dataset is needed for a preview");
        }
        Path dataset = Path.of(given.get(0));
        Path folder = Files.isDirectory(Path.of(model)) ? Path.of(model) : models.locate(ModelRequest.of(model));
        Path tokenizerFile = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new Json.Refusal(400, "arguments.model", folder + " has no tokenizer.json to tokenize the rows with");
        }
        String modelType = TrainFormServlet.JSON
                .readTree(folder.resolve("config.json").toFile())
                .path("model_type")
                .asText(null);
        TokenizerConfig tokenizerConfig = TokenizerConfig.read(folder);
        int maxLength = args.getInt("max_length", Integer.MAX_VALUE);
        String scope = lossScope(args.getString("loss_scale", "default"));
        List<Conversation> conversations = datasets.conversations(dataset);
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                        tokenizerFile,
                        // as the model loader opens it: templates place special tokens themselves, nothing is cut
                        Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
                ChosenTemplate chosen = ChosenTemplate.choose(
                        args.getString("template", null), model, modelType, tokenizerConfig, extensions, registry)) {
            ChatPromptEncoder prompts =
                    ChatPromptEncoder.of(chosen, null, tokenizer, tokenizerConfig, GenerationConfig.read(folder));
            List<Map<String, Object>> shown = new ArrayList<>();
            for (int i = 0; i < Math.min(rows, conversations.size()); i++) {
                EncodedPrompt encoded = prompts.forTraining(conversations.get(i), scope);
                shown.add(row(i, encoded, maxLength, tokenizer));
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("dataset", dataset.toString());
            body.put("rows_total", conversations.size());
            body.put("template", chosen.template().name());
            body.put("template_origin", chosen.origin());
            body.put("loss_scope", scope);
            body.put("rows", shown);
            return body;
        }
    }

    /** {@code --loss_scale} as the encoder's scope: ms-swift's {@code default} trains every assistant turn. */
    static String lossScope(String lossScale) {
        String base = lossScale.replace("+ignore_empty_think", "");
        return base.equals("default") || base.equals("ignore_empty_think") ? RenderOptions.ALL_ASSISTANT : base;
    }

    /** One row as runs of tokens that are all trained or all not, each decoded to its text. */
    private static Map<String, Object> row(
            int index, EncodedPrompt encoded, int maxLength, HuggingFaceTokenizer tokenizer) {
        int length = Math.min(encoded.length(), maxLength);
        int[] ids = encoded.inputIds();
        int[] labels = encoded.labels();
        List<Map<String, Object>> spans = new ArrayList<>();
        int trained = 0;
        int start = 0;
        for (int i = 1; i <= length; i++) {
            boolean trainedHere = i < length && labels[i] != EncodedPrompt.IGNORE_INDEX;
            boolean trainedBefore = labels[i - 1] != EncodedPrompt.IGNORE_INDEX;
            if (i == length || trainedHere != trainedBefore) {
                long[] run = Arrays.stream(Arrays.copyOfRange(ids, start, i))
                        .asLongStream()
                        .toArray();
                Map<String, Object> span = new LinkedHashMap<>();
                span.put("text", tokenizer.decode(run, false));
                span.put("trained", trainedBefore);
                span.put("tokens", run.length);
                spans.add(span);
                trained += trainedBefore ? run.length : 0;
                start = i;
            }
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("index", index);
        row.put("tokens", length);
        row.put("trained_tokens", trained);
        row.put("truncated", encoded.length() > length);
        row.put("spans", spans);
        return row;
    }
}
