package dev.osprey.webapi.impl;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.api.http.ErrorBody;
import dev.osprey.api.plugin.PluginInventory;
import dev.osprey.kernel.report.PluginReport;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The plugin inventory over HTTP: {@code GET /api/plugins} lists it (the same list {@code osprey plugins}
 * prints); {@code POST /api/plugins?file=NAME.jar} with the jar as the body puts it into the hot-deploy folder,
 * where the watcher installs and starts it (the list then shows its state, or why it failed);
 * {@code DELETE /api/plugins/NAME.jar} deletes it from there, and the watcher uninstalls it. Errors are
 * OpenAI's error object naming the field at fault. When the server has an API key, the serving bundle's
 * access filter over every route protects these too.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/api/plugins", "/api/plugins/*"})
public class PluginsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    /** The largest plugin jar accepted; the engine and its natives never come through here (see STACK). */
    static final long MAX_PLUGIN_BYTES = 256L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Reference
    transient PluginInventory inventory;

    /** The hot-deploy folder, or null when this framework watches none. */
    private transient PluginFolder folder;

    @Activate
    void activate(BundleContext context) {
        String dir = context.getProperty("felix.fileinstall.dir");
        folder = dir == null || dir.isBlank() ? null : new PluginFolder(Path.of(dir), MAX_PLUGIN_BYTES);
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo();
        String file = path == null || path.equals("/") ? null : path.substring(1);
        try {
            switch (request.getMethod()) {
                case "GET" -> {
                    if (file != null) {
                        throw new PluginFolder.Refusal(404, null, "no route GET /api/plugins/" + file);
                    }
                    list(response);
                }
                case "POST" -> {
                    if (file != null) {
                        throw new PluginFolder.Refusal(
                                405, null, "POST the jar to /api/plugins?file=NAME.jar, not to /api/plugins/" + file);
                    }
                    PluginFolder.Installed installed = folder().install(
                                    fileParameter(request.getQueryString()),
                                    request.getInputStream(),
                                    inventory.plugins());
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("file", installed.file());
                    body.put("name", installed.symbolicName());
                    body.put("version", installed.version());
                    body.put("folder", folder().folder().toString());
                    send(response, 201, body);
                }
                case "DELETE" -> {
                    folder().remove(file);
                    send(response, 202, Map.of("file", file, "removed", true));
                }
                default -> {
                    response.setHeader("Allow", "GET, POST, DELETE");
                    throw new PluginFolder.Refusal(405, null, request.getMethod() + " is not allowed here");
                }
            }
        } catch (PluginFolder.Refusal e) {
            error(response, e.status, e.param, e.getMessage());
        }
    }

    /**
     * {@code file} of the query string, read here rather than with getParameter, which would take a body sent as
     * a form ({@code curl --data-binary} says application/x-www-form-urlencoded) for parameters and consume it.
     */
    static String fileParameter(String query) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith("file=")) {
                return URLDecoder.decode(pair.substring(5), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private PluginFolder folder() {
        if (folder == null) {
            throw new PluginFolder.Refusal(
                    409,
                    null,
                    "this platform has no hot-deploy folder (framework property felix.fileinstall.dir), so plugins"
                            + " cannot be added or removed while it runs");
        }
        return folder;
    }

    private void list(HttpServletResponse response) throws IOException {
        byte[] body = PluginReport.json(inventory.plugins()).getBytes(StandardCharsets.UTF_8);
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    private static void send(HttpServletResponse response, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    /** OpenAI's error object, as {@code /api/jobs} sends it. */
    private static void error(HttpServletResponse response, int status, String param, String message)
            throws IOException {
        send(response, status, ErrorBody.of(status, param, message));
    }
}
