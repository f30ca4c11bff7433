package dev.osprey.train.args;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.ArgumentSpec.Type;
import dev.osprey.train.sft.TaskType;

/**
 * Describes the arguments of an arguments class (such as {@code SftArguments}) for the API: each
 * {@code @JsonProperty} field is one argument, with its {@code @JsonAlias} spellings, its
 * {@code @JsonPropertyDescription} as help and the value of a fresh instance's {@code toMap()} as default.
 * The arguments classes stay the one definition that config files, the Java API and the command line share.
 */
public final class ArgumentSpecs {

    /** The fixed sets of values the supervised arguments accept (their {@code validate()} checks the same). */
    public static final Map<String, List<String>> SUPERVISED_CHOICES = Map.of(
            "train_type", List.of("lora", "full"),
            "quant_bits", List.of("0", "4", "8"),
            "bnb_4bit_quant_type", List.of("nf4", "int4"),
            "truncation_strategy", List.of("delete", "left", "right"),
            "loss_scale",
                    List.of(
                            "default",
                            "last_round",
                            "all",
                            "ignore_empty_think",
                            "default+ignore_empty_think",
                            "last_round+ignore_empty_think",
                            "all+ignore_empty_think"),
            "lr_scheduler_type", List.of("linear", "cosine", "constant", "constant_with_warmup"),
            "parallel", List.of("none"),
            "task_type",
                    java.util.Arrays.stream(TaskType.values())
                            .map(TaskType::argument)
                            .toList(),
            "problem_type", TaskType.PROBLEM_TYPES);

    private ArgumentSpecs() {}

    /**
     * The arguments of {@code classes}, in field order; the first class that names an argument describes it.
     *
     * @param choices the allowed values by argument name, where there is a fixed set
     * @param classes each with a public no-argument constructor and a {@code toMap()} of its defaults by name
     */
    public static List<ArgumentSpec> describe(Map<String, List<String>> choices, Class<?>... classes) {
        List<ArgumentSpec> specs = new ArrayList<>();
        Set<String> described = new HashSet<>();
        for (Class<?> type : classes) {
            Map<String, Object> defaults = defaults(type);
            for (Field field : type.getDeclaredFields()) {
                JsonProperty property = field.getAnnotation(JsonProperty.class);
                if (property == null || !described.add(property.value())) {
                    continue;
                }
                String name = property.value();
                JsonAlias alias = field.getAnnotation(JsonAlias.class);
                JsonPropertyDescription help = field.getAnnotation(JsonPropertyDescription.class);
                specs.add(new ArgumentSpec(
                        name,
                        alias == null ? List.of() : List.of(alias.value()),
                        typeOf(field.getType()),
                        text(defaults.get(name)),
                        help == null ? "" : help.value(),
                        choices.getOrDefault(name, List.of())));
            }
        }
        return List.copyOf(specs);
    }

    /** The lower-case names of an enum's constants: the choices of an argument parsed into that enum. */
    public static List<String> names(Enum<?>... constants) {
        List<String> names = new ArrayList<>();
        for (Enum<?> constant : constants) {
            names.add(constant.name().toLowerCase(Locale.ROOT));
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> defaults(Class<?> type) {
        try {
            return (Map<String, Object>)
                    type.getMethod("toMap").invoke(type.getConstructor().newInstance());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type.getName() + " needs a public no-argument constructor and toMap()", e);
        }
    }

    private static Type typeOf(Class<?> field) {
        if (List.class.isAssignableFrom(field)) {
            return Type.LIST;
        }
        if (Map.class.isAssignableFrom(field)) {
            return Type.MAPPING;
        }
        if (field == boolean.class || field == Boolean.class) {
            return Type.BOOLEAN;
        }
        if (field == int.class || field == long.class || field == Integer.class || field == Long.class) {
            return Type.INTEGER;
        }
        if (field == double.class || field == float.class || field == Double.class || field == Float.class) {
            return Type.NUMBER;
        }
        return Path.class.isAssignableFrom(field) ? Type.PATH : Type.TEXT;
    }

    /** A default as text: none for null or an empty mapping, the elements of a list, else its one value. */
    private static List<String> text(Object value) {
        if (value == null || value instanceof Map<?, ?> map && map.isEmpty()) {
            return List.of();
        }
        if (value instanceof List<?> list) {
            return list.stream().map(String::valueOf).toList();
        }
        return List.of(String.valueOf(value));
    }
}
