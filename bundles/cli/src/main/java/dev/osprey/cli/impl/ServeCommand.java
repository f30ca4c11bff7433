package dev.osprey.cli.impl;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;

import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionListener;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs the platform as a server: HTTP on the Felix HTTP Whiteboard ({@code /api/plugins}, {@code /api/jobs},
 * the web UI at {@code /ui/}), hot deploy from {@code plugins/}, and a line on the terminal whenever an
 * extension arrives or leaves. Runs until the process is stopped. With an API key ({@code --api_key},
 * {@code --api_key_file} or {@code OSPREY_API_KEY}, as {@code deploy} takes it) every route but the web UI's
 * pages needs {@code Authorization: Bearer KEY}: the serving bundle's access filter, configured through
 * {@value #ACCESS_PID}, is in place before the port opens.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = "Start the platform as a server (HTTP API, hot deploy from plugins/) until stopped.")
public class ServeCommand extends PlatformCommand implements Callable<Integer> {

    /** Felix HTTP's configuration PID and keys. */
    static final String HTTP_PID = "org.apache.felix.http";

    static final String HOST_KEY = "org.apache.felix.http.host";
    static final String PORT_KEY = "org.osgi.service.http.port";
    static final String ENABLE_KEY = "org.apache.felix.http.enable";

    /** The serving bundle's access filter over every route, and its whiteboard name. */
    static final String ACCESS_PID = "dev.osprey.access";

    static final String ACCESS_FILTER_NAME = "osprey-server-access";

    @Option(
            names = "--host",
            paramLabel = "HOST",
            description = "address to bind (default: 127.0.0.1, from conf/osprey.properties)")
    String host;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            description = "port to bind (default: 8000, from conf/osprey.properties)")
    Integer port;

    @Option(
            names = "--api_key",
            paramLabel = "KEY",
            description = "clients must send 'Authorization: Bearer KEY' on every route but the web UI's pages;"
                    + " visible to other users in ps, so prefer --api_key_file or the environment variable"
                    + " OSPREY_API_KEY (or VLLM_API_KEY)")
    String apiKey;

    @Option(
            names = "--api_key_file",
            paramLabel = "FILE",
            description = "read the API key from this file (the key alone on one line)")
    Path apiKeyFile;

    @Mixin
    DeviceOption device;

    static String host(Platform platform) {
        return platform.setting("osprey.http.host", "127.0.0.1");
    }

    static int port(Platform platform) {
        return Integer.parseInt(platform.setting("osprey.http.port", "8000").trim());
    }

    static String baseUrl(Platform platform) {
        return "http://" + host(platform) + ":" + port(platform);
    }

    @Override
    public Integer call() throws Exception {
        platform.devices.select(device.device);
        String bindHost = host != null ? host : host(platform);
        int bindPort = port != null ? port : port(platform);
        if (bindPort < 1 || bindPort > 65535) {
            throw new IllegalArgumentException("--port must be between 1 and 65535, was " + bindPort);
        }
        protect(bindHost);
        startHttp(bindHost, bindPort);
        out().println(PluginTable.table(platform.settledPlugins(10_000), false));
        out().printf(
                        "Osprey is serving on http://%s:%d (GET /api/plugins, /api/jobs; web UI at /ui/); hot deploy watches %s%n",
                        bindHost, bindPort, platform.context.getProperty("felix.fileinstall.dir"));
        ChangePrinter printer = new ChangePrinter();
        ServiceRegistration<ExtensionListener> registration =
                platform.context.registerService(ExtensionListener.class, printer, null);
        // the registry replays the extensions already present when a listener arrives; print changes only
        printer.live = true;
        new CountDownLatch(1).await(); // until the JVM is stopped
        registration.unregister();
        return 0;
    }

    /** Prints a line when an extension comes or goes. */
    private final class ChangePrinter implements ExtensionListener {
        volatile boolean live;

        @Override
        public void added(ExtensionInfo e) {
            if (live) {
                out().printf("+ %s (%s %s)%n", e, e.bundleSymbolicName(), e.bundleVersion());
            }
        }

        @Override
        public void removed(ExtensionInfo e) {
            out().printf("- %s (%s %s)%n", e, e.bundleSymbolicName(), e.bundleVersion());
        }
    }

    /**
     * Configures the access filter (the key from the options or the environment; none leaves every route open)
     * and waits until it is registered, so that no request reaches the server before it.
     */
    private void protect(String bindHost) throws IOException, InterruptedException, InvalidSyntaxException {
        if (platform.configurationAdmin == null) {
            throw new IllegalStateException("Config Admin is not running, so the HTTP server cannot be protected");
        }
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("host", bindHost);
        if (apiKey != null) {
            props.put("api_key", apiKey);
        }
        if (apiKeyFile != null) {
            props.put("api_key_file", apiKeyFile.toAbsolutePath().toString());
        }
        platform.configurationAdmin.getConfiguration(ACCESS_PID, "?").update(props);
        String filter = "(osgi.http.whiteboard.filter.name=" + ACCESS_FILTER_NAME + ")";
        long deadline = System.currentTimeMillis() + 15_000;
        while (platform.context.getAllServiceReferences("jakarta.servlet.Filter", filter) == null) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the API key filter (configuration " + ACCESS_PID
                        + ") did not start within 15 s; see the error above (is --api_key_file readable, the key"
                        + " alone on one line?) and that bundle dev.osprey.openai is active");
            }
            Thread.sleep(50);
        }
    }

    /** Points Felix HTTP at host:port through Config Admin and waits until the port accepts connections. */
    private void startHttp(String bindHost, int bindPort) throws IOException, InterruptedException {
        if (platform.configurationAdmin == null) {
            throw new IllegalStateException("Config Admin is not running, so the HTTP server cannot be configured");
        }
        Configuration config = platform.configurationAdmin.getConfiguration(HTTP_PID, "?");
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(ENABLE_KEY, Boolean.TRUE);
        props.put(HOST_KEY, bindHost);
        props.put(PORT_KEY, bindPort);
        config.update(props);
        long deadline = System.currentTimeMillis() + 15_000;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(bindHost, bindPort), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IOException("the HTTP server did not start on " + bindHost + ":" + bindPort
                + " within 15 s; is the port taken by another process?");
    }
}
