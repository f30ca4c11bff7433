package dev.osprey.cli.impl;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.train.sft.SftArguments;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Turns every argument of {@link SftArguments} (its ms-swift name and aliases) into a command-line option,
 * so the Java API, config files and the command line share one definition. Values the user typed are
 * collected by name and layered over the {@code --config} file; defaults stay those of the arguments
 * class. A command with more arguments (alignment) subclasses this and lists its classes too.
 */
class ArgumentOptions implements CommandLine.IModelTransformer {

    static final String CONFIG = "--config";

    /** The values by ms-swift name, and where they came from (for messages). */
    /** The training commands' own option (not a job argument): the server that runs the job. */
    static final String SERVER = "--server";

    record Values(Map<String, Object> values, String source) {

        /** The values as a job's {@code Arguments}: text, a mapping (such as {@code columns}) as its JSON. */
        dev.osprey.api.job.Arguments arguments() throws java.io.IOException {
            Map<String, Object> named = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : values.entrySet()) {
                named.put(e.getKey(), e.getValue() instanceof Map<?, ?> map ? new ObjectMapper().writeValueAsString(map) : e.getValue());
            }
            return dev.osprey.api.job.Arguments.of(named);
        }
    }

    /**
     * The classes whose {@code @JsonProperty} fields become options, each with a no-argument constructor
     * and a {@code toMap()} of its defaults; the first one named wins when two share a name.
     */
    List<Class<?>> argumentClasses() {
        return List.of(SftArguments.class);
    }

    @Override
    public CommandSpec transform(CommandSpec spec) {
        spec.addOption(OptionSpec.builder(CONFIG).paramLabel("FILE").type(String.class)
                .description("a YAML or JSON file of arguments by ms-swift name; options on the command line override it").build());
        spec.usageMessage().abbreviateSynopsis(true); // dozens of options: "[OPTIONS]", each listed below with its aliases
        java.util.Set<String> added = new java.util.HashSet<>();
        for (Class<?> type : argumentClasses()) {
            addOptions(spec, type, added);
        }
        return spec;
    }

    @SuppressWarnings("unchecked")
    private static void addOptions(CommandSpec spec, Class<?> arguments, java.util.Set<String> added) {
        Map<String, Object> defaultValues;
        try {
            Object defaults = arguments.getConstructor().newInstance();
            defaultValues = (Map<String, Object>) arguments.getMethod("toMap").invoke(defaults);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(arguments + " needs a public no-argument constructor and toMap()", e);
        }
        for (Field f : arguments.getDeclaredFields()) {
            JsonProperty p = f.getAnnotation(JsonProperty.class);
            if (p == null || !added.add(p.value())) {
                continue;
            }
            List<String> names = new ArrayList<>(List.of("--" + p.value()));
            JsonAlias alias = f.getAnnotation(JsonAlias.class);
            if (alias != null) {
                for (String a : alias.value()) {
                    names.add("--" + a);
                }
            }
            OptionSpec.Builder option = OptionSpec.builder(names.toArray(String[]::new)).type(String.class);
            Class<?> type = f.getType();
            if (List.class.isAssignableFrom(type)) {
                option.type(List.class).auxiliaryTypes(String.class).arity("1..*").paramLabel("VALUE");
            } else if (type == boolean.class) {
                option.arity("0..1").fallbackValue("true").paramLabel("BOOL");
            } else {
                option.arity("1").paramLabel(type == int.class || type == long.class || type == double.class ? "NUMBER" : "VALUE");
            }
            JsonPropertyDescription description = f.getAnnotation(JsonPropertyDescription.class);
            Object value = defaultValues.get(p.value());
            String shown = value == null || (value instanceof List<?> l && l.isEmpty()) || (value instanceof Map<?, ?> m && m.isEmpty())
                    ? "" : " (default: " + value + ")";
            option.description((description != null ? description.value() : "") + shown);
            spec.addOption(option.build());
        }
    }

    /**
     * The argument values: the built-in demo's (without --model, --dataset and --config) or the
     * {@code --config} file's, then those typed on the command line, by ms-swift name.
     *
     * @param demo the demo config file, or null when the command has none
     */
    static Values values(CommandSpec spec, java.nio.file.Path demo) throws java.io.IOException {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        Map<String, Object> values = new LinkedHashMap<>();
        String source = "command line";
        boolean modelOrData = parsed.matchedOptions().stream().map(ArgumentOptions::canonicalName)
                .anyMatch(n -> n.equals("model") || n.equals("dataset"));
        if (demo != null && !modelOrData && !parsed.hasMatchedOption(CONFIG)) {
            // the built-in defaults: the demo model and dataset shipped in the Osprey home, any option still applies
            values.putAll(SftArguments.readConfig(demo));
            java.nio.file.Path home = demo.getParent().getParent();
            values.put("model", home.resolve(String.valueOf(values.get("model"))).toString());
            values.put("dataset", home.resolve(String.valueOf(values.get("dataset"))).toString());
            source = demo + " (the built-in demo) and the command line";
        } else if (parsed.hasMatchedOption(CONFIG)) {
            java.nio.file.Path config = java.nio.file.Path.of((String) parsed.matchedOptionValue(CONFIG, ""));
            values.putAll(SftArguments.readConfig(config));
            source = config + " and the command line";
        }
        for (OptionSpec option : parsed.matchedOptions()) {
            String name = option.longestName().substring(2);
            if (option.longestName().equals(CONFIG) || option.longestName().equals(SERVER) || option.usageHelp() || option.versionHelp()) {
                continue;
            }
            String canonical = canonicalName(option);
            Object value = option.getValue();
            if (canonical.equals("columns") && value instanceof String json) {
                value = new ObjectMapper().readValue(json, Map.class); // --columns '{"instruction": "query"}' as ms-swift takes it
            }
            values.remove(name);
            values.put(canonical, value);
        }
        return new Values(values, source);
    }

    /** The first name without its dashes: the ms-swift name, whichever alias was typed. */
    private static String canonicalName(OptionSpec option) {
        return option.names()[0].substring(2);
    }
}
