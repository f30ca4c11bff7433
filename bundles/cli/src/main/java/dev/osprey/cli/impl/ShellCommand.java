package dev.osprey.cli.impl;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.ServiceReference;

import picocli.CommandLine.Command;

/**
 * A line-by-line Gogo shell on the terminal: every Gogo command ({@code osprey:plugins},
 * {@code osprey:models}, {@code lb}, {@code inspect}, ...) with the platform running. {@code exit} or
 * end of input leaves.
 */
@Command(
        name = "shell",
        mixinStandardHelpOptions = true,
        description = "Open a Gogo shell (osprey:plugins, osprey:models, lb, ...); exit or Ctrl-D leaves.")
public class ShellCommand extends PlatformCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        ServiceReference<CommandProcessor> ref = platform.context.getServiceReference(CommandProcessor.class);
        if (ref == null) {
            throw new IllegalStateException("the Gogo shell is not installed in this distribution");
        }
        CommandProcessor processor = platform.context.getService(ref);
        PrintStream out = System.out;
        try (CommandSession session = processor.createSession(System.in, out, System.err)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            out.print("osprey> ");
            out.flush();
            for (String line = in.readLine(); line != null && !line.trim().equals("exit"); line = in.readLine()) {
                if (!line.isBlank()) {
                    try {
                        Object result = session.execute(line);
                        if (result != null) {
                            out.println(session.format(result, Converter.INSPECT));
                        }
                    } catch (Exception e) {
                        System.err.println("error: " + e.getMessage());
                    }
                }
                out.print("osprey> ");
                out.flush();
            }
            out.println();
        } finally {
            platform.context.ungetService(ref);
        }
        return 0;
    }
}
