package dev.osprey.cli.impl;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.osprey.api.plugin.PluginInfo;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Lists the plugins and their extensions. Asks the running server first (so that what a hot deploy did
 * there shows), and falls back to this process's own platform when no server answers.
 */
@Command(
        name = "plugins",
        mixinStandardHelpOptions = true,
        description = "List installed plugins, the extensions each provides, and why a plugin failed.")
public class PluginsCommand extends PlatformCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--json", description = "print JSON, as GET /api/plugins does")
    boolean json;

    @Option(names = "--all", description = "also list platform bundles that provide no extension")
    boolean all;

    @Option(names = "--local", description = "do not ask a running server; list this process's plugins")
    boolean local;

    @Option(
            names = "--server",
            paramLabel = "URL",
            description = "the running server (default: from conf/osprey.properties)")
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
            out().println(JSON.writeValueAsString(
                    Map.of("plugins", plugins.stream().map(PluginInfo::toMap).toList())));
        } else {
            out().println("Plugins of " + source + ":");
            out().print(PluginTable.table(plugins, all));
            out().flush();
        }
        return 0;
    }

    /** The server's inventory, or null when no Osprey answers at {@code base}. */
    static List<PluginInfo> fetch(String base) throws IOException, InterruptedException {
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/api/plugins"))
                .timeout(Duration.ofSeconds(10))
                .build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return null;
            }
            List<PluginInfo> plugins = new ArrayList<>();
            for (Object plugin :
                    (List<?>) JSON.readValue(response.body(), Map.class).getOrDefault("plugins", List.of())) {
                plugins.add(PluginInfo.fromMap((Map<?, ?>) plugin));
            }
            return plugins;
        } catch (ConnectException | HttpTimeoutException e) {
            return null;
        }
    }
}
