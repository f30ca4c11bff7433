package dev.osprey.api.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One argument a job extension takes, described for those who ask for it: the command line builds its
 * options from it, the web UI its forms. {@code name} is the ms-swift name ({@code learning_rate}),
 * {@code aliases} the other spellings accepted ({@code lr}); {@code defaultValue} holds the default as
 * text, one value (none when there is no default) or, for a {@link Type#LIST}, the values of the default
 * list; {@code choices} lists the values allowed when there is a fixed set (empty otherwise). Immutable.
 */
public record ArgumentSpec(
        String name, List<String> aliases, Type type, List<String> defaultValue, String help, List<String> choices) {

    /** What a value looks like, so a form can offer the right input. */
    public enum Type {
        /** Free text. */
        TEXT,
        /** A file or folder. */
        PATH,
        /** A whole number. */
        INTEGER,
        /** A decimal number. */
        NUMBER,
        /** true or false; given alone on the command line it means true. */
        BOOLEAN,
        /** One or more values. */
        LIST,
        /** Names to values, as a JSON object ({@code --columns '{"instruction": "query"}'}). */
        MAPPING
    }

    public ArgumentSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        aliases = List.copyOf(aliases);
        defaultValue = List.copyOf(defaultValue);
        help = help == null ? "" : help;
        choices = List.copyOf(choices);
    }

    /** An argument with no aliases, default or choices. */
    public static ArgumentSpec of(String name, Type type, String help) {
        return new ArgumentSpec(name, List.of(), type, List.of(), help, List.of());
    }

    /** The name, then its aliases: every spelling users may type. */
    public List<String> names() {
        List<String> names = new ArrayList<>(List.of(name));
        names.addAll(aliases);
        return names;
    }

    /** Whether {@code spelling} is this argument's name or one of its aliases. */
    public boolean isNamed(String spelling) {
        return name.equals(spelling) || aliases.contains(spelling);
    }
}
