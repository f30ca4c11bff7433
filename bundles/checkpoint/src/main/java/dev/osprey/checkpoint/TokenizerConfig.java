package dev.osprey.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code tokenizer_config.json} says beyond the vocabulary itself (which {@code tokenizer.json}
 * holds): the special tokens, whether to add BOS/EOS when encoding, the context length, and the chat
 * templates that turn a conversation into a prompt.
 *
 * <p>Special tokens appear either as strings or as Transformers' {@code AddedToken} objects
 * ({@code {"__type": "AddedToken", "content": "<s>", ...}}); both become their text. {@code chat_template}
 * is either one template or a list of {@code {"name", "template"}}; all named templates are kept, and the
 * string form is the one named {@code default}. Newer Transformers versions save the template to
 * {@code chat_template.jinja} instead; that file is used when {@code tokenizer_config.json} has none.
 */
public final class TokenizerConfig {

    /** The file name inside a model folder. */
    public static final String FILE = "tokenizer_config.json";
    /** Where Transformers 4.43+ may save the default chat template instead. */
    public static final String CHAT_TEMPLATE_FILE = "chat_template.jinja";
    /** The name of the template used when a request names none. */
    public static final String DEFAULT_TEMPLATE = "default";

    private final Path source;
    private final Map<String, Object> raw;
    private final String bosToken;
    private final String eosToken;
    private final String padToken;
    private final String unkToken;
    private final Boolean addBosToken;
    private final Boolean addEosToken;
    private final Long modelMaxLength;
    private final Map<String, String> chatTemplates;

    private TokenizerConfig(Path source, Map<String, Object> raw, Map<String, String> chatTemplates) {
        this.source = source;
        this.raw = raw;
        this.bosToken = token(raw, "bos_token");
        this.eosToken = token(raw, "eos_token");
        this.padToken = token(raw, "pad_token");
        this.unkToken = token(raw, "unk_token");
        this.addBosToken = raw.get("add_bos_token") == null
                ? null
                : Json.toBoolean(raw.get("add_bos_token"), source, "add_bos_token");
        this.addEosToken = raw.get("add_eos_token") == null
                ? null
                : Json.toBoolean(raw.get("add_eos_token"), source, "add_eos_token");
        this.modelMaxLength = maxLength(raw.get("model_max_length"));
        this.chatTemplates = chatTemplates;
    }

    /**
     * Reads {@code folder/tokenizer_config.json} (an empty config when it is missing) and, when it has no
     * {@code chat_template}, {@code folder/chat_template.jinja}.
     */
    public static TokenizerConfig read(Path folder) throws IOException {
        Path file = folder.resolve(FILE);
        Map<String, Object> raw = Files.exists(file) ? Json.readObject(file) : Map.of();
        TokenizerConfig config = of(raw, file);
        Path jinja = folder.resolve(CHAT_TEMPLATE_FILE);
        if (config.chatTemplates.isEmpty() && Files.isRegularFile(jinja)) {
            return new TokenizerConfig(
                    file, config.raw, Map.of(DEFAULT_TEMPLATE, Files.readString(jinja, StandardCharsets.UTF_8)));
        }
        return config;
    }

    /** A config from an already parsed document; {@code source} names it in errors. */
    @SuppressWarnings("unchecked")
    public static TokenizerConfig of(Map<String, ?> map, Path source) {
        Map<String, Object> raw = (Map<String, Object>) Json.freeze(Objects.requireNonNull(map, "map"));
        return new TokenizerConfig(source, raw, templates(raw.get("chat_template"), source));
    }

    private static Map<String, String> templates(Object value, Path source) {
        if (value == null) {
            return Map.of();
        }
        if (value instanceof String s) {
            return Map.of(DEFAULT_TEMPLATE, s);
        }
        if (!(value instanceof List<?> list)) {
            throw new CheckpointException(
                    source,
                    "field 'chat_template' must be a string or a list of " + "{\"name\", \"template\"}, was "
                            + Json.show(value));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String field = "chat_template[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> entry)) {
                throw new CheckpointException(
                        source,
                        "field '" + field + "' must be an object with name and template, was "
                                + Json.show(list.get(i)));
            }
            String name = Json.toStr(entry.get("name"), source, field + ".name");
            String template = Json.toStr(entry.get("template"), source, field + ".template");
            if (out.put(name, template) != null) {
                throw new CheckpointException(source, "field '" + field + "' repeats the template name '" + name + "'");
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private String token(Map<String, Object> map, String field) {
        Object value = map.get(field);
        if (value == null) {
            return null;
        }
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Map<?, ?> added) {
            return Json.toStr(added.get("content"), source, field + ".content");
        }
        throw new CheckpointException(
                source, "field '" + field + "' must be a string or an AddedToken object, was " + Json.show(value));
    }

    /** Empty also for values past a long: Transformers writes {@code int(1e30)} to mean "no limit". */
    private Long maxLength(Object value) {
        if (value == null) {
            return null;
        }
        Number n = Json.toNumber(value, source, "model_max_length");
        if (n.doubleValue() >= 0x1p63) {
            return null;
        }
        return Json.toLong(n, source, "model_max_length");
    }

    /** The file read (it may not exist). */
    public Path source() {
        return source;
    }

    public Optional<String> bosToken() {
        return Optional.ofNullable(bosToken);
    }

    public Optional<String> eosToken() {
        return Optional.ofNullable(eosToken);
    }

    public Optional<String> padToken() {
        return Optional.ofNullable(padToken);
    }

    public Optional<String> unkToken() {
        return Optional.ofNullable(unkToken);
    }

    /** {@code add_bos_token}, when the file says; the tokenizer's own default applies otherwise. */
    public Optional<Boolean> addBosToken() {
        return Optional.ofNullable(addBosToken);
    }

    public Optional<Boolean> addEosToken() {
        return Optional.ofNullable(addEosToken);
    }

    /** {@code model_max_length}; empty when absent or the "no limit" sentinel. */
    public Optional<Long> modelMaxLength() {
        return Optional.ofNullable(modelMaxLength);
    }

    /** Every chat template by name, in file order; the string form is named {@code default}. */
    public Map<String, String> chatTemplates() {
        return chatTemplates;
    }

    /** The template named {@code default}, or the only template when the file gives a string. */
    public Optional<String> defaultChatTemplate() {
        return chatTemplate(DEFAULT_TEMPLATE);
    }

    public Optional<String> chatTemplate(String name) {
        return Optional.ofNullable(chatTemplates.get(name));
    }

    /** The whole document as unmodifiable maps and lists, for fields this class does not model. */
    public Map<String, Object> asMap() {
        return raw;
    }

    @Override
    public String toString() {
        return "TokenizerConfig[" + source + ", bos=" + bosToken + ", eos=" + eosToken + ", pad=" + padToken
                + ", templates=" + chatTemplates.keySet() + "]";
    }
}
