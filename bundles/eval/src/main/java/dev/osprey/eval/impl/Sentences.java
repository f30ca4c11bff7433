package dev.osprey.eval.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * IFEval's sentence splitter ({@code instructions_util.split_into_sentences}): periods of titles, acronyms,
 * initials, web addresses and decimal numbers are protected, then the text is cut after each {@code .}, {@code ?}
 * and {@code !}.
 */
final class Sentences {

    private static final String ALPHABETS = "([A-Za-z])";
    private static final String PREFIXES = "(Mr|St|Mrs|Ms|Dr)[.]";
    private static final String SUFFIXES = "(Inc|Ltd|Jr|Sr|Co)";
    private static final String STARTERS = "(Mr|Mrs|Ms|Dr|Prof|Capt|Cpt|Lt|He\\s|She\\s|It\\s|They\\s|Their\\s|Our\\s"
            + "|We\\s|But\\s|However\\s|That\\s|This\\s|Wherever)";
    private static final String ACRONYMS = "([A-Z][.][A-Z][.](?:[A-Z][.])?)";
    private static final String WEBSITES = "[.](com|net|org|io|gov|edu|me)";
    private static final String DIGITS = "([0-9])";
    private static final Pattern MULTIPLE_DOTS = Pattern.compile("\\.{2,}");

    private Sentences() {}

    /** The sentences of {@code text}, stripped, without a trailing empty one. */
    static List<String> split(String text) {
        String t = " " + text + "  ";
        t = t.replace("\n", " ");
        t = t.replaceAll(PREFIXES, "$1<prd>");
        t = t.replaceAll(WEBSITES, "<prd>$1");
        t = t.replaceAll(DIGITS + "[.]" + DIGITS, "$1<prd>$2");
        Matcher dots = MULTIPLE_DOTS.matcher(t);
        StringBuilder marked = new StringBuilder();
        while (dots.find()) {
            dots.appendReplacement(marked, "<prd>".repeat(dots.group().length()) + "<stop>");
        }
        dots.appendTail(marked);
        t = marked.toString();
        if (t.contains("Ph.D")) {
            t = t.replace("Ph.D.", "Ph<prd>D<prd>");
        }
        t = t.replaceAll("\\s" + ALPHABETS + "[.] ", " $1<prd> ");
        t = t.replaceAll(ACRONYMS + " " + STARTERS, "$1<stop> $2");
        t = t.replaceAll(ALPHABETS + "[.]" + ALPHABETS + "[.]" + ALPHABETS + "[.]", "$1<prd>$2<prd>$3<prd>");
        t = t.replaceAll(ALPHABETS + "[.]" + ALPHABETS + "[.]", "$1<prd>$2<prd>");
        t = t.replaceAll(" " + SUFFIXES + "[.] " + STARTERS, " $1<stop> $2");
        t = t.replaceAll(" " + SUFFIXES + "[.]", " $1<prd>");
        t = t.replaceAll(" " + ALPHABETS + "[.]", " $1<prd>");
        t = t.replace(".\u201d", "\u201d.");
        t = t.replace(".\"", "\".");
        t = t.replace("!\"", "\"!");
        t = t.replace("?\"", "\"?");
        t = t.replace(".", ".<stop>");
        t = t.replace("?", "?<stop>");
        t = t.replace("!", "!<stop>");
        t = t.replace("<prd>", ".");
        List<String> sentences = new ArrayList<>();
        for (String s : t.split("<stop>", -1)) {
            sentences.add(s.strip());
        }
        if (!sentences.isEmpty() && sentences.get(sentences.size() - 1).isEmpty()) {
            sentences.remove(sentences.size() - 1);
        }
        return sentences;
    }
}
