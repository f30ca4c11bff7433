package dev.osprey.webui.impl;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Map;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The web UI's built assets ({@code webui/} in this bundle, written by the Maven build from
 * {@code frontend/}) under {@code /ui/}; the server's root redirects there (as the whiteboard's default
 * servlet, it answers 404 to any other path no servlet claims). The pages hold no data: every job, plugin and
 * model comes from the APIs, behind the server's access policy.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/", "/ui", "/ui/*"})
public class AssetServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final String ROOT = "webui";
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html;charset=UTF-8",
            "js", "text/javascript;charset=UTF-8",
            "css", "text/css;charset=UTF-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "json", "application/json");

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String servletPath = request.getServletPath();
        String path = request.getPathInfo();
        if (!servletPath.startsWith("/ui")) {
            String uri =
                    request.getRequestURI().substring(request.getContextPath().length());
            if (uri.equals("/") || uri.isEmpty()) {
                response.sendRedirect(request.getContextPath() + "/ui/");
            } else {
                response.sendError(404, "no route GET " + uri);
            }
            return;
        }
        if (path == null) {
            response.sendRedirect(request.getContextPath() + "/ui/");
            return;
        }
        String file = path.equals("/") ? "index.html" : path.substring(1);
        URL resource = file.contains("..") || file.contains("//")
                ? null
                : getClass().getClassLoader().getResource(ROOT + "/" + file);
        if (resource == null) {
            response.sendError(404, "no such page of the web UI: " + path);
            return;
        }
        String extension = file.substring(file.lastIndexOf('.') + 1);
        response.setContentType(TYPES.getOrDefault(extension, "application/octet-stream"));
        // Vite names the built assets by their content hash: they never change; the page itself may
        response.setHeader(
                "Cache-Control", file.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache");
        response.setHeader("X-Content-Type-Options", "nosniff");
        try (InputStream in = resource.openStream()) {
            in.transferTo(response.getOutputStream());
        }
    }
}
