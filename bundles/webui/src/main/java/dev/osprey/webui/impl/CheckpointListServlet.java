package dev.osprey.webui.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.databind.JsonNode;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /api/webui/checkpoints?dir=OUTPUT}: every {@code checkpoint-N} folder of a job's output folder,
 * oldest first, with its step, time, size, whether it holds a LoRA adapter or full weights, and the metrics of
 * its step from its {@code trainer_state.json} (the job page's checkpoint table).
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/webui/checkpoints")
public class CheckpointListServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d+)");
    /** The values of a log entry the table shows. */
    private static final List<String> METRICS = List.of("loss", "eval_loss", "learning_rate", "grad_norm");

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            TrainFormServlet.requireMethod(request, "GET");
            String dir = request.getParameter("dir");
            if (dir == null || dir.isBlank()) {
                throw new Json.Refusal(400, "dir", "give the output folder as ?dir=PATH");
            }
            Json.send(response, 200, Map.of("object", "list", "data", list(Path.of(dir))));
        } catch (Json.Refusal e) {
            Json.error(response, e.status, e.param, e.getMessage());
        }
    }

    /** The checkpoints of {@code outputDir}; none when the folder does not exist yet (a job that has not saved). */
    static List<Map<String, Object>> list(Path outputDir) throws IOException {
        List<Map<String, Object>> found = new ArrayList<>();
        if (!Files.isDirectory(outputDir)) {
            return found;
        }
        List<Path> folders;
        try (Stream<Path> files = Files.list(outputDir)) {
            folders = files.filter(Files::isDirectory)
                    .filter(p -> CHECKPOINT.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(CheckpointListServlet::step))
                    .toList();
        }
        for (Path folder : folders) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("path", folder.toString());
            c.put("step", step(folder));
            c.put("kind", Files.isRegularFile(folder.resolve("adapter_config.json")) ? "lora" : "full");
            c.put("modified", Files.getLastModifiedTime(folder).toInstant().toString());
            c.put("size_bytes", size(folder));
            c.put("metrics", metrics(folder, step(folder)));
            found.add(c);
        }
        return found;
    }

    private static long step(Path checkpoint) {
        Matcher m = CHECKPOINT.matcher(checkpoint.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private static long size(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    /** The latest value of each metric logged up to {@code step}; empty without a readable trainer_state.json. */
    private static Map<String, Object> metrics(Path folder, long step) {
        Map<String, Object> latest = new LinkedHashMap<>();
        Path state = folder.resolve("trainer_state.json");
        if (!Files.isRegularFile(state)) {
            return latest;
        }
        try {
            for (JsonNode entry : TrainFormServlet.JSON.readTree(state.toFile()).path("log_history")) {
                if (entry.path("step").asLong(0) > step) {
                    continue;
                }
                for (String name : METRICS) {
                    JsonNode v = entry.get(name);
                    if (v != null && v.isNumber()) {
                        latest.put(name, v.doubleValue());
                    }
                }
            }
        } catch (IOException e) {
            latest.clear(); // unreadable: the checkpoint is still listed, without metrics
        }
        return latest;
    }
}
