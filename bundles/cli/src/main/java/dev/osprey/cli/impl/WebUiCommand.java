package dev.osprey.cli.impl;

import picocli.CommandLine.Command;

/**
 * {@code osprey web-ui}, as ms-swift names it: the server of {@code osprey serve}, whose HTTP server carries
 * the web UI at {@code /ui/} (jobs, training, plugins; chat once a model is served with {@code osprey deploy},
 * which carries the same UI).
 */
@Command(
        name = "web-ui",
        mixinStandardHelpOptions = true,
        description =
                "Start the platform as a server with the web UI at http://HOST:PORT/ui/ (as `serve`) until stopped.")
public class WebUiCommand extends ServeCommand {}
