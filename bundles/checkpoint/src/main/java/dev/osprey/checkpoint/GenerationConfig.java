package dev.osprey.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A model's default decoding settings from {@code generation_config.json}: the tokens that end a reply
 * and the sampling parameters the model's authors recommend. The file is optional, and so is every
 * field; a server applies these only where the request does not say otherwise.
 *
 * <p>{@code eos_token_id} may be one id or a list (chat models often stop on several tokens); it is
 * always exposed as a list.
 */
public final class GenerationConfig {

    /** The file name inside a model folder. */
    public static final String FILE = "generation_config.json";

    private static final GenerationConfig EMPTY =
            new GenerationConfig(null, List.of(), null, null, null, null, null, null, null, null, null);

    private final Path source;
    private final List<Integer> eosTokenIds;
    private final Integer bosTokenId;
    private final Integer padTokenId;
    private final Boolean doSample;
    private final Double temperature;
    private final Double topP;
    private final Integer topK;
    private final Double repetitionPenalty;
    private final Integer maxNewTokens;
    private final Integer maxLength;

    private GenerationConfig(
            Path source,
            List<Integer> eosTokenIds,
            Integer bosTokenId,
            Integer padTokenId,
            Boolean doSample,
            Double temperature,
            Double topP,
            Integer topK,
            Double repetitionPenalty,
            Integer maxNewTokens,
            Integer maxLength) {
        this.source = source;
        this.eosTokenIds = List.copyOf(eosTokenIds);
        this.bosTokenId = bosTokenId;
        this.padTokenId = padTokenId;
        this.doSample = doSample;
        this.temperature = temperature;
        this.topP = topP;
        this.topK = topK;
        this.repetitionPenalty = repetitionPenalty;
        this.maxNewTokens = maxNewTokens;
        this.maxLength = maxLength;
    }

    /** No settings at all: what a folder without the file has. */
    public static GenerationConfig empty() {
        return EMPTY;
    }

    /** Reads {@code folder/generation_config.json}, or returns {@link #empty()} when there is no such file. */
    public static GenerationConfig read(Path folder) throws IOException {
        Path file = folder.resolve(FILE);
        if (!Files.exists(file)) {
            return EMPTY;
        }
        return of(Json.readObject(file), file);
    }

    /** Settings from an already parsed document; {@code source} names it in errors. */
    public static GenerationConfig of(Map<String, ?> map, Path source) {
        Objects.requireNonNull(map, "map");
        Object eos = map.get("eos_token_id");
        List<Integer> eosIds = new ArrayList<>();
        if (eos instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                eosIds.add(Json.toInt(list.get(i), source, "eos_token_id[" + i + "]"));
            }
        } else if (eos != null) {
            eosIds.add(Json.toInt(eos, source, "eos_token_id"));
        }
        return new GenerationConfig(
                source,
                eosIds,
                integer(map, "bos_token_id", source),
                integer(map, "pad_token_id", source),
                map.get("do_sample") == null ? null : Json.toBoolean(map.get("do_sample"), source, "do_sample"),
                decimal(map, "temperature", source),
                decimal(map, "top_p", source),
                integer(map, "top_k", source),
                decimal(map, "repetition_penalty", source),
                integer(map, "max_new_tokens", source),
                integer(map, "max_length", source));
    }

    private static Integer integer(Map<String, ?> map, String key, Path source) {
        Object v = map.get(key);
        return v == null ? null : Json.toInt(v, source, key);
    }

    private static Double decimal(Map<String, ?> map, String key, Path source) {
        Object v = map.get(key);
        return v == null ? null : Json.toDouble(v, source, key);
    }

    /** The file read, if any. */
    public Optional<Path> source() {
        return Optional.ofNullable(source);
    }

    /** {@code eos_token_id} as a list (empty when absent). */
    public List<Integer> eosTokenIds() {
        return eosTokenIds;
    }

    public Optional<Integer> bosTokenId() {
        return Optional.ofNullable(bosTokenId);
    }

    public Optional<Integer> padTokenId() {
        return Optional.ofNullable(padTokenId);
    }

    public Optional<Boolean> doSample() {
        return Optional.ofNullable(doSample);
    }

    public Optional<Double> temperature() {
        return Optional.ofNullable(temperature);
    }

    public Optional<Double> topP() {
        return Optional.ofNullable(topP);
    }

    public Optional<Integer> topK() {
        return Optional.ofNullable(topK);
    }

    public Optional<Double> repetitionPenalty() {
        return Optional.ofNullable(repetitionPenalty);
    }

    public Optional<Integer> maxNewTokens() {
        return Optional.ofNullable(maxNewTokens);
    }

    public Optional<Integer> maxLength() {
        return Optional.ofNullable(maxLength);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationConfig g
                && Objects.equals(source, g.source)
                && eosTokenIds.equals(g.eosTokenIds)
                && Objects.equals(bosTokenId, g.bosTokenId)
                && Objects.equals(padTokenId, g.padTokenId)
                && Objects.equals(doSample, g.doSample)
                && Objects.equals(temperature, g.temperature)
                && Objects.equals(topP, g.topP)
                && Objects.equals(topK, g.topK)
                && Objects.equals(repetitionPenalty, g.repetitionPenalty)
                && Objects.equals(maxNewTokens, g.maxNewTokens)
                && Objects.equals(maxLength, g.maxLength);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                source,
                eosTokenIds,
                bosTokenId,
                padTokenId,
                doSample,
                temperature,
                topP,
                topK,
                repetitionPenalty,
                maxNewTokens,
                maxLength);
    }

    @Override
    public String toString() {
        return "GenerationConfig[eos=" + eosTokenIds + ", bos=" + bosTokenId + ", pad=" + padTokenId + ", do_sample="
                + doSample + ", temperature=" + temperature + ", top_p=" + topP + ", top_k=" + topK
                + ", repetition_penalty=" + repetitionPenalty + ", max_new_tokens=" + maxNewTokens + ", max_length="
                + maxLength + "]";
    }
}
