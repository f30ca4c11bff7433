package dev.osprey.eval.impl;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The verifiable instructions of IFEval's public registry ({@code instructions_registry.INSTRUCTION_DICT}), each
 * checked as its {@code check_following} checks a response: the same regular expressions, counts and relations
 * ({@code "less than"} is {@code <}, {@code "at least"} is {@code >=}). Two checks lean on libraries the original
 * calls: words are {@code \w+} runs as NLTK's {@code RegexpTokenizer} makes them (also for {@code
 * change_case:capital_word_frequency}, where the original's {@code word_tokenize} splits contractions alike), and the
 * language is {@link LanguageGuess}'s, which, like the original when {@code langdetect} cannot tell, lets a response
 * pass when its language cannot be detected.
 */
final class IfEvalInstructions {

    /** Every instruction id of the registry. */
    static final Set<String> IDS = Set.of(
            "keywords:existence",
            "keywords:frequency",
            "keywords:forbidden_words",
            "keywords:letter_frequency",
            "language:response_language",
            "length_constraints:number_sentences",
            "length_constraints:number_paragraphs",
            "length_constraints:number_words",
            "length_constraints:nth_paragraph_first_word",
            "detectable_content:number_placeholders",
            "detectable_content:postscript",
            "detectable_format:number_bullet_lists",
            "detectable_format:constrained_response",
            "detectable_format:number_highlighted_sections",
            "detectable_format:multiple_sections",
            "detectable_format:json_format",
            "detectable_format:title",
            "combination:two_responses",
            "combination:repeat_prompt",
            "startend:end_checker",
            "startend:quotation",
            "change_case:capital_word_frequency",
            "change_case:english_capital",
            "change_case:english_lowercase",
            "punctuation:no_comma");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int UNICODE = Pattern.UNICODE_CHARACTER_CLASS;
    private static final Pattern WORD = Pattern.compile("\\w+", UNICODE);
    private static final Pattern PARAGRAPH_RULE = Pattern.compile("\\s?\\*\\*\\*\\s?");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\[.*?\\]");
    private static final Pattern STAR_BULLET = Pattern.compile("^\\s*\\*[^*].*$", Pattern.MULTILINE);
    private static final Pattern DASH_BULLET = Pattern.compile("^\\s*-.*$", Pattern.MULTILINE);
    private static final Pattern HIGHLIGHT = Pattern.compile("\\*[^\\n*]*\\*");
    private static final Pattern DOUBLE_HIGHLIGHT = Pattern.compile("\\*\\*[^\\n*]*\\*\\*");
    private static final Pattern TITLE = Pattern.compile("<<[^\\n]+>>");
    private static final List<String> CONSTRAINED =
            List.of("My answer is yes.", "My answer is no.", "My answer is maybe.");

    private IfEvalInstructions() {}

    /**
     * Whether {@code response} follows instruction {@code id} with its {@code kwargs} (IFEval's row fields; null
     * values are absent ones).
     *
     * @throws IllegalArgumentException naming an unknown instruction or a missing argument
     */
    static boolean follows(String id, JsonNode kwargs, String response) {
        return switch (id) {
            case "keywords:existence" -> {
                for (JsonNode keyword : list(kwargs, id, "keywords")) {
                    if (!search(keyword.asText(), response)) {
                        yield false;
                    }
                }
                yield true;
            }
            case "keywords:frequency" ->
                compare(
                        count(keywordPattern(text(kwargs, id, "keyword")), response),
                        number(kwargs, id, "frequency"),
                        text(kwargs, id, "relation"));
            case "keywords:forbidden_words" -> {
                for (JsonNode word : list(kwargs, id, "forbidden_words")) {
                    Pattern whole = Pattern.compile(
                            "\\b" + Pattern.quote(word.asText()) + "\\b",
                            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | UNICODE);
                    if (whole.matcher(response).find()) {
                        yield false;
                    }
                }
                yield true;
            }
            case "keywords:letter_frequency" -> {
                String letter = text(kwargs, id, "letter").toLowerCase(Locale.ROOT);
                long found = response.toLowerCase(Locale.ROOT)
                        .codePoints()
                        .filter(c -> letter.codePointCount(0, letter.length()) == 1 && c == letter.codePointAt(0))
                        .count();
                yield compare(found, number(kwargs, id, "let_frequency"), text(kwargs, id, "let_relation"));
            }
            case "language:response_language" -> LanguageGuess.mayBe(response, text(kwargs, id, "language"));
            case "length_constraints:number_sentences" ->
                compare(
                        Sentences.split(response).size(),
                        number(kwargs, id, "num_sentences"),
                        text(kwargs, id, "relation"));
            case "length_constraints:number_paragraphs" -> paragraphsOk(response, number(kwargs, id, "num_paragraphs"));
            case "length_constraints:number_words" ->
                compare(count(WORD, response), number(kwargs, id, "num_words"), text(kwargs, id, "relation"));
            case "length_constraints:nth_paragraph_first_word" ->
                nthParagraphFirstWord(
                        response,
                        number(kwargs, id, "num_paragraphs"),
                        number(kwargs, id, "nth_paragraph"),
                        text(kwargs, id, "first_word").toLowerCase(Locale.ROOT));
            case "detectable_content:number_placeholders" ->
                count(PLACEHOLDER, response) >= number(kwargs, id, "num_placeholders");
            case "detectable_content:postscript" -> postscript(response, text(kwargs, id, "postscript_marker"));
            case "detectable_format:number_bullet_lists" ->
                count(STAR_BULLET, response) + count(DASH_BULLET, response) == number(kwargs, id, "num_bullets");
            case "detectable_format:constrained_response" ->
                CONSTRAINED.stream().anyMatch(response.strip()::contains);
            case "detectable_format:number_highlighted_sections" ->
                highlights(response) >= number(kwargs, id, "num_highlights");
            case "detectable_format:multiple_sections" ->
                sections(response, text(kwargs, id, "section_spliter")) >= number(kwargs, id, "num_sections");
            case "detectable_format:json_format" -> isJson(response);
            case "detectable_format:title" -> hasTitle(response);
            case "combination:two_responses" -> twoResponses(response);
            case "combination:repeat_prompt" ->
                response.strip()
                        .toLowerCase(Locale.ROOT)
                        .startsWith(text(kwargs, id, "prompt_to_repeat").strip().toLowerCase(Locale.ROOT));
            case "startend:end_checker" ->
                strip(response.strip(), '"')
                        .toLowerCase(Locale.ROOT)
                        .endsWith(text(kwargs, id, "end_phrase").strip().toLowerCase(Locale.ROOT));
            case "startend:quotation" -> {
                String value = response.strip();
                yield value.length() > 1 && value.charAt(0) == '"' && value.charAt(value.length() - 1) == '"';
            }
            case "change_case:capital_word_frequency" ->
                compare(
                        WORD.matcher(response)
                                .results()
                                .filter(m -> isUpper(m.group()))
                                .count(),
                        number(kwargs, id, "capital_frequency"),
                        text(kwargs, id, "capital_relation"));
            case "change_case:english_capital" -> isUpper(response) && LanguageGuess.mayBe(response, "en");
            case "change_case:english_lowercase" -> isLower(response) && LanguageGuess.mayBe(response, "en");
            case "punctuation:no_comma" -> response.indexOf(',') < 0;
            default -> throw new IllegalArgumentException("unknown IFEval instruction '" + id + "'");
        };
    }

    /** IFEval's relations: {@code less than} is {@code actual < n}, {@code at least} is {@code actual >= n}. */
    private static boolean compare(long actual, long n, String relation) {
        return switch (relation) {
            case "less than" -> actual < n;
            case "at least" -> actual >= n;
            default ->
                throw new IllegalArgumentException(
                        "relation must be 'less than' or 'at least', was '" + relation + "'");
        };
    }

    /** Paragraphs split by {@code ***}: empty ones only at the ends, and exactly {@code n} others. */
    private static boolean paragraphsOk(String response, long n) {
        String[] paragraphs = PARAGRAPH_RULE.split(response, -1);
        int count = paragraphs.length;
        for (int i = 0; i < paragraphs.length; i++) {
            if (paragraphs[i].isBlank()) {
                if (i == 0 || i == paragraphs.length - 1) {
                    count--;
                } else {
                    return false;
                }
            }
        }
        return count == n;
    }

    /** {@code n} paragraphs split by blank lines, the {@code nth} (1-based, counting empty ones) starting with the word. */
    private static boolean nthParagraphFirstWord(String response, long n, long nth, String firstWord) {
        String[] paragraphs = response.split("\n\n", -1);
        long count = paragraphs.length;
        for (String paragraph : paragraphs) {
            if (paragraph.isBlank()) {
                count--;
            }
        }
        if (nth > count || nth < 1 || nth > paragraphs.length) {
            return false;
        }
        String paragraph = paragraphs[(int) nth - 1].strip();
        if (paragraph.isEmpty()) {
            return false;
        }
        String word = stripLeading(stripLeading(paragraph.split("\\s+")[0].strip(), '\''), '"');
        StringBuilder first = new StringBuilder();
        for (char c : word.toCharArray()) {
            if (".,?!'\"".indexOf(c) >= 0) {
                break;
            }
            first.append(Character.toLowerCase(c));
        }
        return count == n && first.toString().equals(firstWord);
    }

    /** A line from the marker on ({@code P.S.} and {@code P.P.S} also with spaces between their letters). */
    private static boolean postscript(String response, String marker) {
        String regex = switch (marker) {
            case "P.P.S" -> "\\s*p\\.\\s?p\\.\\s?s.*$";
            case "P.S." -> "\\s*p\\.\\s?s\\..*$";
            default -> "\\s*" + marker.toLowerCase(Locale.ROOT) + ".*$";
        };
        Pattern pattern;
        try {
            pattern = Pattern.compile(regex, Pattern.MULTILINE);
        } catch (PatternSyntaxException e) {
            pattern =
                    Pattern.compile("\\s*" + Pattern.quote(marker.toLowerCase(Locale.ROOT)) + ".*$", Pattern.MULTILINE);
        }
        return pattern.matcher(response.toLowerCase(Locale.ROOT)).find();
    }

    /** Parts between single or double asterisks on one line that hold more than blanks. */
    private static int highlights(String response) {
        int count = 0;
        Matcher single = HIGHLIGHT.matcher(response);
        while (single.find()) {
            count += strip(single.group(), '*').isBlank() ? 0 : 1;
        }
        Matcher dual = DOUBLE_HIGHLIGHT.matcher(response);
        while (dual.find()) {
            String inner = dual.group();
            count += inner.substring(2, inner.length() - 2).isBlank() ? 0 : 1;
        }
        return count;
    }

    /** The sections after {@code SPLITTER N} headings: the pieces a split on them makes, less one. */
    private static int sections(String response, String splitter) {
        Pattern heading = Pattern.compile("\\s?" + Pattern.quote(splitter) + "\\s?\\d+\\s?");
        return heading.split(response, -1).length - 1;
    }

    /** The whole response (a markdown fence around it allowed) is one JSON value. */
    private static boolean isJson(String response) {
        String value = response.strip();
        for (String fence : List.of("```json", "```Json", "```JSON", "```")) {
            if (value.startsWith(fence)) {
                value = value.substring(fence.length());
                break;
            }
        }
        if (value.endsWith("```")) {
            value = value.substring(0, value.length() - 3);
        }
        try (var parser = JSON.createParser(value.strip())) {
            JsonNode node = JSON.readTree(parser);
            return node != null && parser.nextToken() == null;
        } catch (JsonProcessingException e) {
            return false;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** A title in double angular brackets with something in it. */
    private static boolean hasTitle(String response) {
        Matcher m = TITLE.matcher(response);
        while (m.find()) {
            String inner = m.group().replaceAll("^<+", "").replaceAll(">+$", "");
            if (!inner.isBlank()) {
                return true;
            }
        }
        return false;
    }

    /** Two different responses separated by six asterisks (empty pieces only at the ends). */
    private static boolean twoResponses(String response) {
        String[] parts = response.split(Pattern.quote("******"), -1);
        List<String> valid = new java.util.ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isBlank()) {
                if (i != 0 && i != parts.length - 1) {
                    return false;
                }
            } else {
                valid.add(parts[i]);
            }
        }
        return valid.size() == 2 && !valid.get(0).strip().equals(valid.get(1).strip());
    }

    /** Python's {@code re.search(keyword, text, re.IGNORECASE)}: the keyword is a pattern, a literal if it is not one. */
    private static boolean search(String keyword, String text) {
        return keywordPattern(keyword).matcher(text).find();
    }

    private static Pattern keywordPattern(String keyword) {
        int flags = Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
        try {
            return Pattern.compile(keyword, flags);
        } catch (PatternSyntaxException e) {
            return Pattern.compile(Pattern.quote(keyword), flags);
        }
    }

    private static long count(Pattern pattern, String text) {
        return pattern.matcher(text).results().count();
    }

    /** Python's {@code str.isupper()}: some cased letter, and none in lower case. */
    static boolean isUpper(String text) {
        boolean cased = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isLowerCase(c) || Character.isTitleCase(c)) {
                return false;
            }
            cased |= Character.isUpperCase(c);
        }
        return cased;
    }

    /** Python's {@code str.islower()}: some cased letter, and none in upper case. */
    static boolean isLower(String text) {
        boolean cased = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isUpperCase(c) || Character.isTitleCase(c)) {
                return false;
            }
            cased |= Character.isLowerCase(c);
        }
        return cased;
    }

    /** Python's {@code str.strip(chars)} for one character. */
    private static String strip(String text, char c) {
        int from = 0;
        int to = text.length();
        while (from < to && text.charAt(from) == c) {
            from++;
        }
        while (to > from && text.charAt(to - 1) == c) {
            to--;
        }
        return text.substring(from, to);
    }

    private static String stripLeading(String text, char c) {
        int from = 0;
        while (from < text.length() && text.charAt(from) == c) {
            from++;
        }
        return text.substring(from);
    }

    private static JsonNode argument(JsonNode kwargs, String id, String name) {
        JsonNode value = kwargs == null ? null : kwargs.get(name);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("instruction " + id + " needs the argument '" + name + "'");
        }
        return value;
    }

    private static String text(JsonNode kwargs, String id, String name) {
        return argument(kwargs, id, name).asText();
    }

    private static long number(JsonNode kwargs, String id, String name) {
        JsonNode value = argument(kwargs, id, name);
        if (!value.canConvertToLong()) {
            throw new IllegalArgumentException(
                    "instruction " + id + ": argument '" + name + "' must be a whole number, was " + value);
        }
        return value.asLong();
    }

    private static JsonNode list(JsonNode kwargs, String id, String name) {
        JsonNode value = argument(kwargs, id, name);
        if (!value.isArray()) {
            throw new IllegalArgumentException("instruction " + id + ": argument '" + name + "' must be a list");
        }
        return value;
    }
}
