package dev.osprey.cli.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.Arguments;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Turns the arguments a training method describes (ms-swift names and aliases, help, default) into
 * command-line options, so the method, config files and the command line share one definition. Values the
 * user typed are collected by name and layered over the {@code --config} file; defaults stay the method's.
 * Each training command says whose arguments it takes ({@link #arguments()}); the command line's factory
 * gives it the platform.
 */
abstract class ArgumentOptions implements CommandLine.IModelTransformer {

    static final String CONFIG = "--config";
    /** The training commands' own option (not a job argument): the server that runs the job. */
    static final String SERVER = "--server";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    Platform platform;

    /** The values by ms-swift name, and where they came from (for messages). */
    record Values(Map<String, Object> values, String source) {

        /** The values as a job's {@code Arguments}: text, a mapping (such as {@code columns}) as its JSON. */
        Arguments arguments() throws IOException {
            Map<String, Object> named = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : values.entrySet()) {
                named.put(
                        e.getKey(),
                        e.getValue() instanceof Map<?, ?> map ? JSON.writeValueAsString(map) : e.getValue());
            }
            return Arguments.of(named);
        }
    }

    /** The arguments that become this command's options, in the order to list them. */
    abstract List<ArgumentSpec> arguments();

    @Override
    public CommandSpec transform(CommandSpec spec) {
        spec.addOption(OptionSpec.builder(CONFIG)
                .paramLabel("FILE")
                .type(String.class)
                .description(
                        "a YAML or JSON file of arguments by ms-swift name; options on the command line override it")
                .build());
        spec.usageMessage()
                .abbreviateSynopsis(true); // dozens of options: "[OPTIONS]", each listed below with its aliases
        List<ArgumentSpec> arguments = arguments();
        if (arguments.isEmpty()) {
            // the method is not installed: let the command say so rather than call every option unknown
            spec.parser().unmatchedArgumentsAllowed(true);
        }
        arguments.forEach(argument -> spec.addOption(option(argument)));
        return spec;
    }

    private static OptionSpec option(ArgumentSpec argument) {
        OptionSpec.Builder option = OptionSpec.builder(
                        argument.names().stream().map(n -> "--" + n).toArray(String[]::new))
                .type(String.class);
        switch (argument.type()) {
            case LIST ->
                option.type(List.class)
                        .auxiliaryTypes(String.class)
                        .arity("1..*")
                        .paramLabel("VALUE");
            case BOOLEAN -> option.arity("0..1").fallbackValue("true").paramLabel("BOOL");
            case INTEGER, NUMBER -> option.arity("1").paramLabel("NUMBER");
            default -> option.arity("1").paramLabel("VALUE");
        }
        List<String> value = argument.defaultValue();
        String shown = value.isEmpty()
                ? ""
                : " (default: " + (argument.type() == ArgumentSpec.Type.LIST ? value : value.get(0)) + ")";
        return option.description(argument.help() + shown).build();
    }

    /**
     * The argument values: the built-in demo's (without --model, --dataset and --config) or the
     * {@code --config} file's, then those typed on the command line, by ms-swift name.
     *
     * @param demo the demo config file, or null when the command has none
     * @throws IllegalArgumentException for a name in the file that is no option of the command, naming the file
     */
    static Values values(CommandSpec spec, Path demo) throws IOException {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        Map<String, Object> values = new LinkedHashMap<>();
        String source = "command line";
        boolean modelOrData = parsed.matchedOptions().stream()
                .map(ArgumentOptions::canonicalName)
                .anyMatch(n -> n.equals("model") || n.equals("dataset"));
        if (demo != null && !modelOrData && !parsed.hasMatchedOption(CONFIG)) {
            // the built-in defaults: the demo model and dataset shipped in the Osprey home, any option still applies
            source = demo + " (the built-in demo) and the command line";
            values.putAll(readConfig(spec, demo, source));
            Path home = demo.getParent().getParent();
            values.put(
                    "model", home.resolve(String.valueOf(values.get("model"))).toString());
            values.put(
                    "dataset",
                    home.resolve(String.valueOf(values.get("dataset"))).toString());
        } else if (parsed.hasMatchedOption(CONFIG)) {
            Path config = Path.of((String) parsed.matchedOptionValue(CONFIG, ""));
            source = config + " and the command line";
            values.putAll(readConfig(spec, config, source));
        }
        for (OptionSpec option : parsed.matchedOptions()) {
            if (option.longestName().equals(CONFIG)
                    || option.longestName().equals(SERVER)
                    || option.usageHelp()
                    || option.versionHelp()) {
                continue;
            }
            String canonical = canonicalName(option);
            Object value = option.getValue();
            if (canonical.equals("columns") && value instanceof String json) {
                value = JSON.readValue(json, Map.class); // --columns '{"instruction": "query"}' as ms-swift takes it
            }
            values.remove(canonical);
            values.put(canonical, value);
        }
        return new Values(values, source);
    }

    /**
     * A YAML ({@code .yaml}/{@code .yml}) or JSON config file as ms-swift's {@code --config} reads it, each name
     * (or alias) turned into the ms-swift name of the command's option.
     */
    private static Map<String, Object> readConfig(CommandSpec spec, Path file, String source) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("config file " + file + " does not exist");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        ObjectMapper reader = name.endsWith(".yaml") || name.endsWith(".yml") ? YAML : JSON;
        Object read;
        try {
            read = reader.readValue(file.toFile(), Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    file + ": " + e.getOriginalMessage()
                            + (e.getLocation() != null
                                    ? " (line " + e.getLocation().getLineNr() + ")"
                                    : ""),
                    e);
        }
        if (!(read instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(
                    file + ": a config file must hold a mapping of argument names to values");
        }
        Map<String, Object> values = new LinkedHashMap<>();
        map.forEach((key, value) -> {
            OptionSpec option = spec.findOption("--" + key);
            if (option == null
                    || option.longestName().equals(CONFIG)
                    || option.longestName().equals(SERVER)) {
                throw new IllegalArgumentException(
                        source + ": unknown argument '" + key + "'" + suggestion(spec, String.valueOf(key)));
            }
            values.put(canonicalName(option), value);
        });
        return values;
    }

    /** The ms-swift name closest to a misspelt one (at most three edits away), as a hint. */
    private static String suggestion(CommandSpec spec, String unknown) {
        String best = null;
        int bestDistance = 4;
        for (OptionSpec option : spec.options()) {
            String name = canonicalName(option);
            int distance = editDistance(unknown, name);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = name;
            }
        }
        return best == null ? "" : "; did you mean '" + best + "'?";
    }

    /** Levenshtein's distance: the insertions, deletions and substitutions that turn {@code a} into {@code b}. */
    private static int editDistance(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                row[j] = Math.min(
                        Math.min(row[j - 1], above) + 1, diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.length()];
    }

    /** The first name without its dashes: the ms-swift name, whichever alias was typed. */
    private static String canonicalName(OptionSpec option) {
        return option.names()[0].substring(2);
    }
}
