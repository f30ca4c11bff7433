package dev.osprey.cli.impl;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.kernel.report.PluginReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Lists the plugins and their extensions. Asks the running server first (so that what a hot deploy did
 * there shows), and falls back to this process's own platform when no server answers.
 */
@Command(name = "plugins", mixinStandardHelpOptions = true,
        description = "List installed plugins, the extensions each provides, and why a plugin failed.")
public class PluginsCommand extends PlatformCommand implements Callable<Integer> {

    @Option(names = "--json", description = "print JSON, as GET /api/plugins does")
    boolean json;

    @Option(names = "--all", description = "also list platform bundles that provide no extension")
    boolean all;

    @Option(names = "--local", description = "do not ask a running server; list this process's plugins")
    boolean local;

    @Option(names = "--server", paramLabel = "URL", description = "the running server (default: from conf/osprey.properties)")
    String server;

    @Override
    public Integer call() throws Exception {
        String base = server != null ? server : ServeCommand.baseUrl(platform);
        List<PluginInfo> plugins = local ? null : fetch(base);
        String source = "server " + base;
        if (plugins == null) {
            plugins = platform.settledPlugins(10_000);
            source = "this process (no server at " + base + ")";
        }
        if (json) {
            out().println(PluginReport.json(plugins));
        } else {
            out().println("Plugins of " + source + ":");
            out().print(PluginReport.table(plugins, all));
            out().flush();
        }
        return 0;
    }

    /** The server's inventory, or null when no Osprey answers at {@code base}. */
    static List<PluginInfo> fetch(String base) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/api/plugins")).timeout(Duration.ofSeconds(10)).build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return null;
            }
            return PluginReport.fromJson(response.body());
        } catch (ConnectException | HttpTimeoutException e) {
            return null;
        }
    }
}
