package dev.osprey.webui.impl;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import dev.osprey.api.job.ArgumentSpec;

/**
 * A form's values as the YAML file {@code osprey sft --config FILE} (and {@code rlhf}, {@code eval}, ...) reads:
 * a mapping of ms-swift names to values, numbers and booleans typed as their argument says, lists as lists. Read
 * back with the command line's rules: an alias becomes its argument's name, a name no argument has is refused
 * naming its line.
 */
final class ArgumentsYaml {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
    private static final ObjectMapper JSON = new ObjectMapper();

    private ArgumentsYaml() {}

    /**
     * The YAML of {@code values} (by ms-swift name, as the form sends them: text or lists of text), under a
     * comment with the command that reads it.
     *
     * @throws IllegalArgumentException naming a number, boolean or mapping that does not parse
     */
    static String write(List<ArgumentSpec> arguments, Map<String, Object> values, String command)
            throws JsonProcessingException {
        Map<String, Object> typed = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            ArgumentSpec spec = find(arguments, e.getKey());
            typed.put(e.getKey(), spec == null ? e.getValue() : typed(spec, e.getValue()));
        }
        return "# " + command + " --config THIS_FILE\n" + YAML.writeValueAsString(typed);
    }

    private static Object typed(ArgumentSpec spec, Object value) throws JsonProcessingException {
        if (value instanceof List<?> list) {
            return list;
        }
        String text = String.valueOf(value).trim();
        try {
            return switch (spec.type()) {
                case INTEGER -> Long.parseLong(text);
                case NUMBER -> Double.parseDouble(text);
                case BOOLEAN -> {
                    if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
                        throw new NumberFormatException();
                    }
                    yield Boolean.parseBoolean(text);
                }
                case LIST -> List.of(text.split("\\s+"));
                case MAPPING -> JSON.readValue(text, Object.class);
                default -> text;
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "--" + spec.name() + " must be " + article(spec.type()) + ", was '" + text + "'", e);
        }
    }

    private static String article(ArgumentSpec.Type type) {
        return switch (type) {
            case INTEGER -> "a whole number";
            case NUMBER -> "a number";
            case BOOLEAN -> "true or false";
            default -> "a value";
        };
    }

    /**
     * The values of a YAML (or JSON) config as the form holds them: each by its argument's ms-swift name, a list as a
     * list of text, a mapping as its JSON, anything else as text.
     *
     * @param source what to call the text in messages (a file name)
     * @throws IllegalArgumentException naming the line of a name that is no argument, or of text that is not YAML
     */
    static Map<String, Object> read(List<ArgumentSpec> arguments, String yaml, String source) throws IOException {
        Map<String, Object> values = new LinkedHashMap<>();
        try (JsonParser parser = YAML.createParser(yaml)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return values;
            }
            if (first != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException(
                        source + ": a config file must hold a mapping of argument names to values");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                int line = parser.currentTokenLocation().getLineNr();
                parser.nextToken();
                JsonNode value = YAML.readTree(parser);
                ArgumentSpec spec = find(arguments, key);
                if (spec == null) {
                    throw new IllegalArgumentException(source + " (line " + line + "): unknown argument '" + key + "'");
                }
                values.put(spec.name(), formValue(value));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    source + " (line "
                            + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
                            + "): " + e.getOriginalMessage(),
                    e);
        }
        return values;
    }

    private static Object formValue(JsonNode value) throws JsonProcessingException {
        if (value.isArray()) {
            List<String> list = new ArrayList<>();
            value.forEach(v -> list.add(v.asText()));
            return list;
        }
        return value.isObject() ? JSON.writeValueAsString(value) : value.asText();
    }

    /** The argument {@code spelling} names, by name or alias; null when none does. */
    static ArgumentSpec find(List<ArgumentSpec> arguments, String spelling) {
        return arguments.stream().filter(a -> a.isNamed(spelling)).findFirst().orElse(null);
    }
}
