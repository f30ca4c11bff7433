package dev.osprey.cli.impl;

import java.io.PrintWriter;
import java.util.List;

import dev.osprey.cli.spi.CommandContribution;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IFactory;

/** The {@code osprey} command: picocli over the platform's services. */
@Command(
        name = "osprey",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Osprey: take a large language model from base checkpoint to production.",
        subcommands = {
            PluginsCommand.class,
            ServeCommand.class,
            WebUiCommand.class,
            DevicesCommand.class,
            ModelsCommand.class,
            SftCommand.class,
            PtCommand.class,
            RlhfCommand.class,
            ExportCommand.class,
            EvalCommand.class,
            ShellCommand.class,
            DeployCommand.class,
            InferCommand.class,
            BackendCommand.class
        })
public class OspreyCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Without a subcommand: usage, and a non-zero exit since nothing was done. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command");
    }

    /** Runs the command line and returns the exit code: 0 done, 1 failed, 2 bad usage. */
    static int run(Platform platform, String[] args) {
        CommandLine cl = commandLine(platform, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        try {
            return cl.execute(args);
        } finally {
            cl.getOut().flush();
            cl.getErr().flush();
        }
    }

    static CommandLine commandLine(Platform platform, PrintWriter out, PrintWriter err) {
        IFactory defaults = CommandLine.defaultFactory();
        IFactory factory = new IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                K created = defaults.create(type);
                if (created instanceof PlatformCommand command) {
                    command.platform = platform;
                } else if (created instanceof ArgumentOptions options) {
                    options.platform = platform; // a training command's options come from the training methods
                }
                return created;
            }
        };
        CommandLine cl = new CommandLine(new OspreyCommand(), factory);
        cl.setOut(out).setErr(err);
        addContributedCommands(cl, platform, err);
        cl.setParameterExceptionHandler((e, args) -> {
            // always the usage of the command at fault, with suggestions for a misspelling
            PrintWriter w = e.getCommandLine().getErr();
            w.println("osprey: " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, w);
            e.getCommandLine().usage(w);
            return 2;
        });
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            // expected failures (bad input, missing device) get one clear line, not a stack trace
            line.getErr().println(line.getColorScheme().errorText("osprey: " + e.getMessage()));
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        return cl;
    }

    /** The subcommands other bundles contribute; one whose name is taken is named on stderr and left out. */
    private static void addContributedCommands(CommandLine cl, Platform platform, PrintWriter err) {
        List<CommandContribution> contributions = platform == null ? null : platform.contributions;
        for (CommandContribution contribution :
                contributions == null ? List.<CommandContribution>of() : contributions) {
            for (Object command : contribution.newCommands()) {
                try {
                    cl.addSubcommand(command);
                } catch (CommandLine.InitializationException e) {
                    err.println("osprey: a contributed command is left out: " + e.getMessage());
                }
            }
        }
    }
}
