package dev.osprey.rewards.builtin.impl;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Final answers of math completions and whether two agree: the subset of {@code math_verify} (which
 * ms-swift's {@code MathAccuracy} uses) that covers numeric answers.
 *
 * <p>Extraction: the content of the last {@code \boxed{...}} (nested braces allowed), else of the last
 * {@code <answer>...</answer>}, else the last number in the text. Normalisation: drops {@code $}, {@code \(
 * \)}, {@code \[ \]}, {@code \left}/{@code \right}, LaTeX spacing, {@code \text{..}} wrappers, a leading
 * {@code x =}, a trailing period and all whitespace; {@code \dfrac}/{@code \tfrac} become {@code \frac}.
 * Comparison: if both sides are numbers (integers, decimals, thousands separators, {@code a/b},
 * {@code \frac{a}{b}}, a percent sign ignored) they are compared exactly as rationals, so {@code 0.5},
 * {@code 1/2} and {@code \frac{1}{2}} agree; otherwise the normalised strings must be equal. Not covered:
 * symbolic equivalence ({@code \sqrt{8}} vs {@code 2\sqrt{2}}), sets, intervals, matrices, units.
 */
final class MathAnswers {

    private static final Pattern ANSWER_TAG = Pattern.compile("<answer>(.*?)</answer>", Pattern.DOTALL);
    private static final Pattern NUMBER = Pattern.compile("-?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|-?\\.\\d+");
    private static final Pattern FRACTION = Pattern.compile("(-?)\\\\frac\\{([^{}]*)\\}\\{([^{}]*)\\}");
    private static final Pattern TEXT = Pattern.compile("\\\\(?:text|textbf|mathrm|mbox)\\{([^{}]*)\\}");
    private static final Pattern LEADING_VARIABLE = Pattern.compile("^[a-zA-Z]\\w*=");

    private MathAnswers() {}

    /** The final answer of a completion, if it states one. */
    static Optional<String> extract(String text) {
        Optional<String> boxed = lastBoxed(text);
        if (boxed.isPresent()) {
            return boxed;
        }
        Matcher tag = ANSWER_TAG.matcher(text);
        String last = null;
        while (tag.find()) {
            last = tag.group(1);
        }
        if (last != null) {
            return Optional.of(last.trim());
        }
        return lastNumber(text);
    }

    /**
     * The reference answer of a {@code solution} column: boxed or tagged if so, else the whole text when it
     * is one number or expression, else its last number (GSM8K's "#### 42"), else the whole text.
     */
    static String gold(String solution) {
        Optional<String> boxed = lastBoxed(solution);
        if (boxed.isPresent()) {
            return boxed.get();
        }
        Matcher tag = ANSWER_TAG.matcher(solution);
        String last = null;
        while (tag.find()) {
            last = tag.group(1);
        }
        if (last != null) {
            return last.trim();
        }
        if (Rational.parse(normalise(solution)).isPresent()) {
            return solution.trim();
        }
        return lastNumber(solution).orElse(solution.trim());
    }

    /** Whether a completion's extracted answer agrees with the gold answer. */
    static boolean agree(String answer, String gold) {
        String a = normalise(answer);
        String g = normalise(gold);
        Optional<Rational> goldValue = Rational.parse(g);
        if (goldValue.isPresent()) {
            Optional<Rational> value = Rational.parse(a);
            if (value.isEmpty()) {
                // "<answer>The total is 42</answer>": the number it states
                value = lastNumber(a).flatMap(n -> Rational.parse(normalise(n)));
            }
            return value.isPresent() && value.get().sameValue(goldValue.get());
        }
        return !a.isEmpty() && a.equals(g);
    }

    static String normalise(String s) {
        String t = s.replace("\\left", "")
                .replace("\\right", "")
                .replace("\\dfrac", "\\frac")
                .replace("\\tfrac", "\\frac")
                .replace("\\(", "")
                .replace("\\)", "")
                .replace("\\[", "")
                .replace("\\]", "")
                .replace("$", "")
                .replace("\\!", "")
                .replace("\\,", "")
                .replace("\\;", "")
                .replace("\\%", "%");
        Matcher text = TEXT.matcher(t);
        t = text.replaceAll(m -> Matcher.quoteReplacement(m.group(1)));
        t = t.replaceAll("(?U)\\s+", "");
        t = LEADING_VARIABLE.matcher(t).replaceFirst("");
        while (t.endsWith(".")) {
            t = t.substring(0, t.length() - 1);
        }
        return t;
    }

    private static Optional<String> lastNumber(String text) {
        Matcher m = NUMBER.matcher(text);
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        return Optional.ofNullable(last);
    }

    /** The content of the last {@code \boxed{...}}, braces balanced. */
    private static Optional<String> lastBoxed(String text) {
        int start = text.lastIndexOf("\\boxed{");
        while (start >= 0) {
            int open = start + "\\boxed{".length();
            int depth = 1;
            for (int i = open; i < text.length(); i++) {
                char ch = text.charAt(i);
                if (ch == '{') {
                    depth++;
                } else if (ch == '}' && --depth == 0) {
                    return Optional.of(text.substring(open, i).trim());
                }
            }
            start = text.lastIndexOf("\\boxed{", start - 1); // unclosed: try the one before
        }
        return Optional.empty();
    }

    /** An exact number p/q from a normalised answer. */
    record Rational(BigDecimal numerator, BigDecimal denominator) {

        static Optional<Rational> parse(String normalised) {
            String s = normalised.endsWith("%") ? normalised.substring(0, normalised.length() - 1) : normalised;
            Matcher frac = FRACTION.matcher(s);
            if (frac.matches()) {
                Optional<BigDecimal> p = decimal(frac.group(2));
                Optional<BigDecimal> q = decimal(frac.group(3));
                if (p.isPresent() && q.isPresent() && q.get().signum() != 0) {
                    BigDecimal num = frac.group(1).isEmpty() ? p.get() : p.get().negate();
                    return Optional.of(new Rational(num, q.get()));
                }
                return Optional.empty();
            }
            int slash = s.indexOf('/');
            if (slash > 0 && slash == s.lastIndexOf('/')) {
                Optional<BigDecimal> p = decimal(s.substring(0, slash));
                Optional<BigDecimal> q = decimal(s.substring(slash + 1));
                if (p.isPresent() && q.isPresent() && q.get().signum() != 0) {
                    return Optional.of(new Rational(p.get(), q.get()));
                }
                return Optional.empty();
            }
            return decimal(s).map(d -> new Rational(d, BigDecimal.ONE));
        }

        private static Optional<BigDecimal> decimal(String s) {
            if (!NUMBER.matcher(s).matches()) {
                return Optional.empty();
            }
            return Optional.of(new BigDecimal(s.replace(",", "")));
        }

        boolean sameValue(Rational other) {
            return numerator.multiply(other.denominator).compareTo(other.numerator.multiply(denominator)) == 0;
        }
    }
}
