package dev.osprey.cli.impl;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;

/**
 * Prints the OSGi log's warnings and errors (SCR, FileInstall, the framework) as one line each on
 * stderr, naming the bundle at fault; the inventory ({@code osprey plugins}) keeps the details. Set
 * {@code -Dosprey.log.stacktraces=true} to also print stack traces.
 */
@Component(immediate = true)
public class ConsoleLogPrinter implements LogListener {

    @Reference
    LogReaderService reader;

    private boolean stackTraces;

    @Activate
    void activate(BundleContext context) {
        stackTraces = Boolean.parseBoolean(context.getProperty("osprey.log.stacktraces"));
        reader.addLogListener(this);
    }

    @Deactivate
    void deactivate() {
        reader.removeLogListener(this);
    }

    @Override
    public void logged(LogEntry entry) {
        if (!LogLevel.WARN.implies(entry.getLogLevel())) {
            return;
        }
        StringBuilder line = new StringBuilder("[").append(entry.getLogLevel()).append("] ");
        if (entry.getBundle() != null) {
            line.append(entry.getBundle().getSymbolicName()).append(": ");
        }
        line.append(entry.getMessage());
        Throwable error = entry.getException();
        if (error != null) {
            line.append(": ").append(error);
        }
        System.err.println(line);
        if (error != null && stackTraces) {
            error.printStackTrace(System.err);
        }
    }
}
