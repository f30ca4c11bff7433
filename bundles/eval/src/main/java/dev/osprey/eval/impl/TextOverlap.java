package dev.osprey.eval.impl;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The n-gram overlap of a generated text with a reference, as EvalScope's {@code general_qa} reports it: ROUGE-1,
 * ROUGE-2 and ROUGE-L recall, precision and F1 ({@code rouge-1-r} ... {@code rouge-l-f}), and BLEU-1 to BLEU-4,
 * each the sentence BLEU of one n-gram order alone (NLTK's {@code sentence_bleu} with weights such as {@code (0, 1,
 * 0, 0)}: the clipped n-gram precision times the brevity penalty). Texts are compared lower-cased as tokens: runs of
 * letters and digits, each CJK character alone (as a Chinese word segmenter would at worst), each other mark alone.
 */
final class TextOverlap {

    private static final Pattern TOKEN =
            Pattern.compile("[\\p{IsHan}\\p{IsHiragana}\\p{IsKatakana}]|[\\p{L}\\p{N}]+|[^\\s\\p{L}\\p{N}]");

    private TextOverlap() {}

    /** The tokens of {@code text}, lower-cased. */
    static List<String> tokens(String text) {
        return TOKEN.matcher(text.toLowerCase(Locale.ROOT))
                .results()
                .map(m -> m.group())
                .toList();
    }

    /** Every ROUGE and BLEU score of {@code candidate} against {@code reference}, by EvalScope's names. */
    static Map<String, Double> scores(String candidate, String reference) {
        List<String> cand = tokens(candidate);
        List<String> ref = tokens(reference);
        Map<String, Double> scores = new LinkedHashMap<>();
        for (int n = 1; n <= 2; n++) {
            int overlap = clippedMatches(cand, ref, n);
            put(scores, "rouge-" + n, overlap, count(ref, n), count(cand, n));
        }
        put(scores, "rouge-l", longestCommonSubsequence(cand, ref), ref.size(), cand.size());
        for (int n = 1; n <= 4; n++) {
            scores.put("bleu-" + n, bleu(cand, ref, n));
        }
        return scores;
    }

    /** Sentence BLEU of order {@code n} alone: brevity penalty times the clipped n-gram precision. */
    static double bleu(List<String> candidate, List<String> reference, int n) {
        int grams = count(candidate, n);
        if (grams == 0) {
            return 0;
        }
        double precision = clippedMatches(candidate, reference, n) / (double) grams;
        double brevity =
                candidate.size() > reference.size() ? 1 : Math.exp(1 - reference.size() / (double) candidate.size());
        return brevity * precision;
    }

    /** Recall over the reference's count, precision over the candidate's, and their harmonic mean. */
    private static void put(
            Map<String, Double> scores, String name, int overlap, int referenceCount, int candidateCount) {
        double recall = referenceCount == 0 ? 0 : overlap / (double) referenceCount;
        double precision = candidateCount == 0 ? 0 : overlap / (double) candidateCount;
        scores.put(name + "-r", recall);
        scores.put(name + "-p", precision);
        scores.put(name + "-f", recall + precision == 0 ? 0 : 2 * recall * precision / (recall + precision));
    }

    private static int count(List<String> tokens, int n) {
        return Math.max(0, tokens.size() - n + 1);
    }

    /** The candidate's n-grams found in the reference, each counted at most as often as the reference has it. */
    static int clippedMatches(List<String> candidate, List<String> reference, int n) {
        Map<List<String>, Integer> available = new HashMap<>();
        for (int i = 0; i + n <= reference.size(); i++) {
            available.merge(reference.subList(i, i + n), 1, Integer::sum);
        }
        int matches = 0;
        for (int i = 0; i + n <= candidate.size(); i++) {
            List<String> gram = candidate.subList(i, i + n);
            int left = available.getOrDefault(gram, 0);
            if (left > 0) {
                available.put(gram, left - 1);
                matches++;
            }
        }
        return matches;
    }

    /** The length of the longest common subsequence of tokens (ROUGE-L). */
    static int longestCommonSubsequence(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        for (String token : a) {
            int[] current = new int[b.size() + 1];
            for (int j = 1; j <= b.size(); j++) {
                current[j] = token.equals(b.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            previous = current;
        }
        return previous[b.size()];
    }
}
