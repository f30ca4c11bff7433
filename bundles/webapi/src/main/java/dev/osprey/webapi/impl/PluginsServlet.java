package dev.osprey.webapi.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import dev.osprey.api.plugin.PluginInventory;
import dev.osprey.kernel.report.PluginReport;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** {@code GET /api/plugins}: the plugin inventory as JSON, the same list {@code osprey plugins} prints. */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/plugins")
public class PluginsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Reference
    transient PluginInventory inventory;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        byte[] body = PluginReport.json(inventory.plugins()).getBytes(StandardCharsets.UTF_8);
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
