package dev.osprey.cli.impl;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code osprey backend use NAME}: asks a running {@code osprey deploy} to swap its inference backend
 * ({@code POST /v1/admin/backend}); requests in flight finish on the old one.
 */
@Command(
        name = "backend",
        mixinStandardHelpOptions = true,
        description =
                "Show or swap the inference backend of a running server: `osprey backend` or `osprey backend use NAME`.")
public class BackendCommand extends PlatformCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "use", description = "use")
    String verb;

    @Parameters(
            index = "1",
            arity = "0..1",
            paramLabel = "NAME",
            description = "the backend to serve with (djl, vllm, remote, ...)")
    String name;

    @Option(names = "--url", paramLabel = "URL", description = "the server (default: http://127.0.0.1:8000)")
    String url = "http://127.0.0.1:8000";

    @Option(
            names = "--api_key",
            paramLabel = "KEY",
            description = "the server's API key (or admin key), if it has one;"
                    + " default: the environment's OSPREY_API_KEY")
    String apiKey = System.getenv("OSPREY_API_KEY");

    @Override
    public Integer call() throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(url + "/v1/admin/backend")).timeout(Duration.ofMinutes(30));
        if (verb == null) {
            request.GET();
        } else if ("use".equals(verb) && name != null) {
            request.POST(HttpRequest.BodyPublishers.ofString("{\"backend\":\"" + name.replace("\"", "") + "\"}"))
                    .header("Content-Type", "application/json");
        } else {
            throw new IllegalArgumentException("usage: osprey backend [use NAME]");
        }
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        HttpResponse<String> response;
        try {
            response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(
                    "no server answers at " + url + " (" + e + "); start one with osprey deploy");
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
        out().println(response.body());
        return 0;
    }
}
