package dev.osprey.api.job;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A job's options by their ms-swift names ({@code learning_rate}, {@code lora_rank}, ...), already merged
 * from the command line, a config file and defaults. Values are kept as text; the typed getters parse
 * them and name the option when a value is malformed. Immutable.
 */
public final class Arguments {

    private final Map<String, List<String>> values;

    private Arguments(Map<String, List<String>> values) {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        values.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        this.values = Collections.unmodifiableMap(copy);
    }

    /** From name to one value (a String, Number or Boolean) or a list of values. */
    public static Arguments of(Map<String, ?> map) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            List<String> list = new ArrayList<>();
            if (v instanceof Iterable<?> it) {
                it.forEach(x -> list.add(String.valueOf(x)));
            } else if (v instanceof Object[] array) {
                Arrays.stream(array).forEach(x -> list.add(String.valueOf(x)));
            } else if (v != null) {
                list.add(String.valueOf(v));
            }
            values.put(k, list);
        });
        return new Arguments(values);
    }

    public Set<String> names() {
        return values.keySet();
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public Optional<String> getString(String name) {
        List<String> v = values.get(name);
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }

    public String getString(String name, String defaultValue) {
        return getString(name).orElse(defaultValue);
    }

    public List<String> getList(String name) {
        return values.getOrDefault(name, List.of());
    }

    public int getInt(String name, int defaultValue) {
        return getString(name)
                .map(v -> parse(name, v, Integer::parseInt, "an integer"))
                .orElse(defaultValue);
    }

    public long getLong(String name, long defaultValue) {
        return getString(name)
                .map(v -> parse(name, v, Long::parseLong, "an integer"))
                .orElse(defaultValue);
    }

    public double getDouble(String name, double defaultValue) {
        return getString(name)
                .map(v -> parse(name, v, Double::parseDouble, "a number"))
                .orElse(defaultValue);
    }

    public boolean getBoolean(String name, boolean defaultValue) {
        return getString(name)
                .map(v -> {
                    if (v.equalsIgnoreCase("true") || v.equals("1")) {
                        return true;
                    }
                    if (v.equalsIgnoreCase("false") || v.equals("0")) {
                        return false;
                    }
                    throw new IllegalArgumentException("--" + name + " must be true or false, was '" + v + "'");
                })
                .orElse(defaultValue);
    }

    /** A copy with {@code name} set to {@code value}. */
    public Arguments with(String name, Object value) {
        Map<String, Object> map = new LinkedHashMap<>(values);
        map.put(name, value);
        return of(map);
    }

    private static <T> T parse(String name, String value, Function<String, T> parser, String what) {
        try {
            return parser.apply(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be " + what + ", was '" + value + "'");
        }
    }

    /** The values, with a credential ({@code hub_token}) shown as {@code ***}, so no log line carries it. */
    @Override
    public String toString() {
        if (!values.containsKey("hub_token")) {
            return values.toString();
        }
        Map<String, List<String>> shown = new LinkedHashMap<>(values);
        shown.put("hub_token", List.of("***"));
        return shown.toString();
    }
}
