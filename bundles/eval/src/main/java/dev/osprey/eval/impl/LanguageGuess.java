package dev.osprey.eval.impl;

import java.lang.Character.UnicodeScript;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which language a text may be in, as far as its letters tell (IFEval asks {@code langdetect}, a model of character
 * n-grams; there is no such library here). The dominant script decides where it belongs to one language (Hangul,
 * kana, Thai, Greek, Hebrew, the Indic scripts but Devanagari); Han without kana is Chinese; where a script serves
 * several languages (Latin, Cyrillic, Arabic, Devanagari) the language must be one of them, and for Latin text the
 * most frequent words decide among English, Spanish, Portuguese, French, German, Italian, Polish, Vietnamese,
 * Swahili and Finnish when some are found (any Latin-script language when none stands out). A text without letters
 * may be in any language (IFEval too lets a response pass when {@code langdetect} cannot tell).
 */
final class LanguageGuess {

    private static final Pattern WORD = Pattern.compile("\\p{L}+");

    /** Languages whose script is shared, by script. */
    private static final Map<UnicodeScript, Set<String>> SHARED = Map.of(
            UnicodeScript.CYRILLIC, Set.of("ru", "uk", "bg", "mk", "sr", "be", "kk"),
            UnicodeScript.ARABIC, Set.of("ar", "fa", "ur", "ps"),
            UnicodeScript.DEVANAGARI, Set.of("hi", "mr", "ne", "sa"));

    /** Languages of their own script. */
    private static final Map<UnicodeScript, String> OWN = Map.ofEntries(
            Map.entry(UnicodeScript.HANGUL, "ko"),
            Map.entry(UnicodeScript.THAI, "th"),
            Map.entry(UnicodeScript.GREEK, "el"),
            Map.entry(UnicodeScript.HEBREW, "he"),
            Map.entry(UnicodeScript.BENGALI, "bn"),
            Map.entry(UnicodeScript.GURMUKHI, "pa"),
            Map.entry(UnicodeScript.GUJARATI, "gu"),
            Map.entry(UnicodeScript.TAMIL, "ta"),
            Map.entry(UnicodeScript.TELUGU, "te"),
            Map.entry(UnicodeScript.KANNADA, "kn"),
            Map.entry(UnicodeScript.MALAYALAM, "ml"),
            Map.entry(UnicodeScript.GEORGIAN, "ka"),
            Map.entry(UnicodeScript.ARMENIAN, "hy"));

    /** The most frequent words of the Latin-script languages told apart. */
    private static final Map<String, Set<String>> COMMON_WORDS = Map.of(
            "en",
                    Set.of(
                            "the", "and", "of", "to", "is", "in", "that", "it", "you", "for", "was", "with", "are",
                            "this", "be", "have", "not", "on"),
            "es",
                    Set.of(
                            "el", "la", "de", "que", "y", "en", "los", "las", "es", "por", "un", "una", "para", "con",
                            "del", "se", "no", "su"),
            "pt",
                    Set.of(
                            "o", "a", "de", "que", "e", "do", "da", "em", "um", "uma", "os", "não", "para", "com", "é",
                            "são", "se", "no"),
            "fr",
                    Set.of(
                            "le", "la", "les", "de", "et", "est", "un", "une", "des", "du", "que", "en", "pour", "pas",
                            "dans", "il", "ce", "qui"),
            "de",
                    Set.of(
                            "der", "die", "das", "und", "ist", "nicht", "ein", "eine", "zu", "den", "mit", "sich",
                            "auch", "ich", "es", "von", "im", "dem"),
            "it",
                    Set.of(
                            "il", "la", "di", "che", "e", "è", "un", "una", "per", "non", "sono", "del", "della", "gli",
                            "le", "si", "con", "nel"),
            "pl",
                    Set.of(
                            "i", "w", "nie", "na", "się", "z", "że", "do", "jest", "to", "jak", "ale", "co", "są", "od",
                            "po", "tak", "czy"),
            "vi",
                    Set.of(
                            "và", "của", "là", "không", "có", "những", "được", "trong", "một", "người", "các", "cho",
                            "với", "này", "đã", "để"),
            "sw",
                    Set.of(
                            "na", "ya", "wa", "kwa", "ni", "za", "katika", "la", "kuwa", "hii", "cha", "yake", "au",
                            "lakini", "hiyo", "pia"),
            "fi",
                    Set.of(
                            "ja", "on", "ei", "että", "se", "oli", "hän", "mutta", "tai", "kun", "ovat", "myös", "ole",
                            "mitä", "niin", "kuin"));

    /** Languages written in Latin letters, for Latin text whose words do not tell which. */
    private static final Set<String> LATIN = Set.of(
            "en", "es", "pt", "fr", "de", "it", "pl", "vi", "sw", "fi", "nl", "sv", "da", "no", "tr", "id", "ms", "ro",
            "cs", "sk", "hu", "hr", "sl", "lt", "lv", "et", "sq", "ca", "cy", "tl", "so", "af");

    private LanguageGuess() {}

    /** Whether {@code text} may be in {@code language} (an ISO 639-1 code, as IFEval's kwargs give it). */
    static boolean mayBe(String text, String language) {
        Set<String> candidates = candidates(text);
        return candidates == null || candidates.contains(normalised(language));
    }

    /** The languages {@code text} may be in, or null when its letters cannot tell. */
    static Set<String> candidates(String text) {
        Map<UnicodeScript, Integer> letters = new EnumMap<>(UnicodeScript.class);
        boolean kana = false;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (Character.isLetter(c)) {
                UnicodeScript script = UnicodeScript.of(c);
                kana |= script == UnicodeScript.HIRAGANA || script == UnicodeScript.KATAKANA;
                if (script == UnicodeScript.HIRAGANA || script == UnicodeScript.KATAKANA) {
                    script = UnicodeScript.HAN; // Japanese writes kana among Han characters
                }
                letters.merge(script, 1, Integer::sum);
            }
        }
        if (letters.isEmpty()) {
            return null;
        }
        UnicodeScript dominant = letters.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .orElseThrow()
                .getKey();
        if (dominant == UnicodeScript.HAN) {
            return kana ? Set.of("ja") : Set.of("zh");
        }
        if (OWN.containsKey(dominant)) {
            return Set.of(OWN.get(dominant));
        }
        if (SHARED.containsKey(dominant)) {
            return SHARED.get(dominant);
        }
        return dominant == UnicodeScript.LATIN
                ? latin(text)
                : Set.of(dominant.name().toLowerCase(Locale.ROOT));
    }

    /** The Latin-script language whose common words the text uses most, or any Latin-script one when none stands out. */
    private static Set<String> latin(String text) {
        List<String> words = WORD.matcher(text.toLowerCase(Locale.ROOT))
                .results()
                .map(m -> m.group())
                .toList();
        String best = null;
        long bestCount = 0;
        boolean tie = false;
        for (Map.Entry<String, Set<String>> language : COMMON_WORDS.entrySet()) {
            long count = words.stream().filter(language.getValue()::contains).count();
            if (count > bestCount) {
                best = language.getKey();
                bestCount = count;
                tie = false;
            } else if (count == bestCount && count > 0) {
                tie = true;
            }
        }
        return best == null || tie ? LATIN : Set.of(best);
    }

    /** {@code zh-cn} and {@code zh-tw} (langdetect's names) are Chinese. */
    private static String normalised(String language) {
        String code = language.toLowerCase(Locale.ROOT);
        return code.startsWith("zh") ? "zh" : code;
    }
}
