package dev.osprey.models.llava;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The id of a tokenizer's added token (Pixtral's {@code [IMG_BREAK]}, {@code [IMG_END]}), which the model config does
 * not hold: from {@code added_tokens.json}, {@code tokenizer_config.json}'s {@code added_tokens_decoder} or
 * {@code tokenizer.json}'s {@code added_tokens} in the model folder. The SPI gives a family no JSON reader; an added
 * token's entry in these files is a flat object, which the patterns below match whole.
 */
final class AddedTokens {

    private AddedTokens() {}

    /** @throws IllegalArgumentException naming the token and the files when none of them has it */
    static int id(Path folder, String content) {
        String token = Pattern.quote("\"" + content + "\"");
        Map<String, Pattern> sources = new LinkedHashMap<>();
        sources.put("added_tokens.json", Pattern.compile(token + "\\s*:\\s*(\\d+)"));
        sources.put(
                "tokenizer_config.json",
                Pattern.compile("\"(\\d+)\"\\s*:\\s*\\{[^{}]*\"content\"\\s*:\\s*" + token + "[^{}]*}"));
        sources.put(
                "tokenizer.json",
                Pattern.compile("\\{[^{}]*\"id\"\\s*:\\s*(\\d+)[^{}]*\"content\"\\s*:\\s*" + token + "[^{}]*}"));
        for (Map.Entry<String, Pattern> source : sources.entrySet()) {
            Path file = folder.resolve(source.getKey());
            if (!Files.isRegularFile(file)) {
                continue;
            }
            try {
                Matcher m = source.getValue().matcher(Files.readString(file));
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": cannot read the tokenizer's added tokens: " + e, e);
            }
        }
        throw new IllegalArgumentException(
                folder + ": the id of the token " + content + " is in none of " + sources.keySet());
    }
}
