package dev.osprey.webui.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.api.model.ModelEntry;
import dev.osprey.api.model.ModelRegistry;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * What the forms' pickers offer: {@code GET /api/webui/models} the model registry (the data of
 * {@code osprey models list}) and the model folders and adapter checkpoints found under the Osprey home
 * ({@code demo/}, {@code models/}, {@code output/} and the jobs' output folders); {@code GET /api/webui/datasets}
 * the dataset files found there.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/api/webui/models", "/api/webui/datasets"})
public class PickerServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    /** Where local models, checkpoints and datasets live under the home, searched this deep. */
    private static final List<String> PLACES = List.of("demo", "models", "data", "output", "work/jobs");

    private static final int DEPTH = 5;
    /** Enough to pick from; a home with thousands of checkpoints is cut. */
    private static final int LIMIT = 500;

    private final transient ModelRegistry registry;
    private final String home;

    @Activate
    public PickerServlet(@Reference ModelRegistry registry, BundleContext context) {
        this(registry, context.getProperty("osprey.home"));
    }

    PickerServlet(ModelRegistry registry, String home) {
        this.registry = registry;
        this.home = home;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            TrainFormServlet.requireMethod(request, "GET");
            if (request.getServletPath().endsWith("/datasets")) {
                Json.send(response, 200, Map.of("object", "list", "data", datasets()));
            } else {
                Json.send(response, 200, models());
            }
        } catch (Json.Refusal e) {
            Json.error(response, e.status, e.param, e.getMessage());
        }
    }

    Map<String, Object> models() throws IOException {
        List<Map<String, Object>> registered = new ArrayList<>();
        for (ModelEntry e : registry.entries()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", e.id());
            m.put("model_type", e.modelType());
            m.put("architecture", e.architecture());
            m.put("template", e.chatTemplate());
            m.put("task", e.task());
            m.put("tags", e.tags().stream().sorted().toList());
            registered.add(m);
        }
        List<Map<String, Object>> local = new ArrayList<>();
        List<Map<String, Object>> adapters = new ArrayList<>();
        for (Path folder : find(p -> p.getFileName().toString().equals("config.json")
                || p.getFileName().toString().equals("adapter_config.json"))) {
            Path dir = folder.getParent();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("path", dir.toString());
            if (folder.getFileName().toString().equals("adapter_config.json")) {
                adapters.add(m);
            } else {
                m.put("model_type", modelType(folder));
                local.add(m);
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("registry", registered);
        body.put("local", local);
        body.put("adapters", adapters);
        return body;
    }

    private static String modelType(Path configJson) {
        try {
            JsonNode config = TrainFormServlet.JSON.readTree(configJson.toFile());
            return config.path("model_type").asText("");
        } catch (IOException e) {
            return ""; // unreadable: still offered, loading it names the fault
        }
    }

    List<String> datasets() throws IOException {
        return find(p -> {
                    String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
                    return (name.endsWith(".jsonl") || name.endsWith(".csv"))
                            && !p.toString().contains("/work/jobs/");
                })
                .stream()
                .map(Path::toString)
                .toList();
    }

    /** Files under the home's places that {@code wanted} accepts, sorted, at most {@link #LIMIT}. */
    private List<Path> find(java.util.function.Predicate<Path> wanted) throws IOException {
        List<Path> found = new ArrayList<>();
        if (home == null) {
            return found;
        }
        for (String place : PLACES) {
            Path root = Path.of(home).resolve(place);
            if (!Files.isDirectory(root)) {
                continue;
            }
            // the home's demo/ may be a link to the distribution's: walk the real folder, name files under the home
            Path real = root.toRealPath();
            try (Stream<Path> files = Files.walk(real, DEPTH)) {
                files.filter(Files::isRegularFile)
                        .filter(wanted)
                        .sorted()
                        .map(p -> root.resolve(real.relativize(p)))
                        .forEach(found::add);
            }
        }
        return found.size() > LIMIT ? found.subList(0, LIMIT) : found;
    }
}
