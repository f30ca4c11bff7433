package dev.osprey.cli.impl;

import java.util.concurrent.Callable;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.osgi.framework.ServiceReference;

import picocli.CommandLine.Command;

/** The interactive Gogo shell, with the {@code osprey:*} commands. */
@Command(name = "shell", mixinStandardHelpOptions = true,
        description = "Open the interactive Gogo shell (osprey:plugins, osprey:models, lb, ...).")
public class ShellCommand extends PlatformCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        ServiceReference<CommandProcessor> ref = platform.context.getServiceReference(CommandProcessor.class);
        if (ref == null) {
            throw new IllegalStateException("the Gogo shell is not installed in this distribution");
        }
        CommandProcessor processor = platform.context.getService(ref);
        try (CommandSession session = processor.createSession(System.in, System.out, System.err)) {
            session.execute("gosh --login --noshutdown");
        } finally {
            platform.context.ungetService(ref);
        }
        return 0;
    }
}
