package dev.osprey.eval.impl;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Final answers of competition math (Hendrycks' MATH): the last {@code \boxed{...}} of a solution, and equality of
 * two answers as the benchmark's own {@code is_equiv} decides it — both normalised (spaces, {@code \left}/{@code
 * \right}, degrees, units after {@code \text{ }}, percent and dollar signs, {@code tfrac}/{@code dfrac}, a short
 * {@code x =} prefix dropped, {@code \frac12} and {@code \sqrt2} braced, {@code 0.5} and {@code a/b} as fractions)
 * and compared as text — and, beyond it, as numbers when both are plain numbers or fractions (so {@code 0.25} is
 * {@code \frac{1}{4}}).
 */
final class MathAnswers {

    private static final Pattern SHORT_ASSIGNMENT = Pattern.compile("^[^=]{0,2}=([^=]*)$");
    private static final Pattern INTEGER_SLASH = Pattern.compile("^(-?\\d+)/(\\d+)$");
    private static final Pattern NUMBER = Pattern.compile("^-?(\\d+\\.?\\d*|\\.\\d+)$");
    private static final Pattern FRACTION = Pattern.compile("^(-?)\\\\frac\\{(-?\\d+)\\}\\{(-?\\d+)\\}$");

    private MathAnswers() {}

    /** The content of the last {@code \boxed{...}} (or {@code \fbox{...}}, or {@code \boxed x}) of {@code text}, or "". */
    static String lastBoxed(String text) {
        int at = Math.max(text.lastIndexOf("\\boxed"), text.lastIndexOf("\\fbox"));
        if (at < 0) {
            return "";
        }
        int open = text.indexOf('{', at);
        String command = text.startsWith("\\boxed", at) ? "\\boxed" : "\\fbox";
        if (text.startsWith(command + " ", at)) { // "\boxed 5": up to the next '$' or the end
            String rest = text.substring(at + command.length() + 1);
            int dollar = rest.indexOf('$');
            return (dollar < 0 ? rest : rest.substring(0, dollar)).strip();
        }
        if (open != at + command.length()) {
            return "";
        }
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            depth += c == '{' ? 1 : c == '}' ? -1 : 0;
            if (depth == 0) {
                return text.substring(open + 1, i);
            }
        }
        return ""; // unbalanced: the solution was cut
    }

    /** The text between the first and last {@code $} of a completion, or all of it with fewer than two. */
    static String betweenDollars(String completion) {
        int first = completion.indexOf('$');
        int last = completion.lastIndexOf('$');
        return first < 0 || first == last ? completion : completion.substring(first + 1, last);
    }

    /** Whether two final answers are the same: equal once normalised, or equal numbers. */
    static boolean equivalent(String a, String b) {
        if (a.isBlank() || b.isBlank()) {
            return false;
        }
        String x = normalised(a);
        String y = normalised(b);
        if (x.equals(y)) {
            return true;
        }
        Optional<BigDecimal[]> p = rational(x);
        Optional<BigDecimal[]> q = rational(y);
        return p.isPresent()
                && q.isPresent()
                && p.get()[0].multiply(q.get()[1]).compareTo(q.get()[0].multiply(p.get()[1])) == 0;
    }

    /** Hendrycks' {@code strip_string}. */
    static String normalised(String answer) {
        String s = answer.replace("\n", "")
                .replace("\\!", "")
                .replace("\\\\", "\\")
                .replace("tfrac", "frac")
                .replace("dfrac", "frac")
                .replace("\\left", "")
                .replace("\\right", "")
                .replace("^{\\circ}", "")
                .replace("^\\circ", "")
                .replace("\\$", "");
        int units = s.indexOf("\\text{ ");
        s = units >= 0 ? s.substring(0, units) : s; // "5 \text{ cm}": the units go
        s = s.replace("\\%", "").replace("%", "").replace(" .", " 0.").replace("{.", "{0.");
        if (s.isEmpty()) {
            return s;
        }
        if (s.charAt(0) == '.') {
            s = "0" + s;
        }
        Matcher assignment = SHORT_ASSIGNMENT.matcher(s);
        if (assignment.matches()) {
            s = assignment.group(1);
        }
        s = bracedSqrt(s).replace(" ", "");
        s = bracedFractions(s);
        if (s.equals("0.5")) {
            s = "\\frac{1}{2}";
        }
        Matcher slash = INTEGER_SLASH.matcher(s);
        return slash.matches() ? "\\frac{" + slash.group(1) + "}{" + slash.group(2) + "}" : s;
    }

    /** {@code \sqrt3} as {@code \sqrt{3}}. */
    private static String bracedSqrt(String s) {
        StringBuilder out = new StringBuilder();
        String[] parts = s.split("\\\\sqrt", -1);
        out.append(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i];
            out.append("\\sqrt");
            if (!part.isEmpty() && part.charAt(0) != '{') {
                out.append('{').append(part.charAt(0)).append('}').append(part.substring(1));
            } else {
                out.append(part);
            }
        }
        return out.toString();
    }

    /** {@code \frac12} and {@code \frac1{2}} as {@code \frac{1}{2}}. */
    private static String bracedFractions(String s) {
        String[] parts = s.split("\\\\frac", -1);
        StringBuilder out = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i];
            out.append("\\frac");
            if (part.startsWith("{") || part.length() < 2) {
                out.append(part);
            } else if (part.charAt(1) == '{') {
                out.append('{').append(part.charAt(0)).append('}').append(part.substring(1));
            } else {
                out.append('{')
                        .append(part.charAt(0))
                        .append("}{")
                        .append(part.charAt(1))
                        .append('}')
                        .append(part.substring(2));
            }
        }
        return out.toString();
    }

    /** A plain number or integer fraction as numerator and denominator; empty for anything else. */
    private static Optional<BigDecimal[]> rational(String s) {
        String plain = s.replace(",", "");
        if (NUMBER.matcher(plain).matches()) {
            return Optional.of(new BigDecimal[] {new BigDecimal(plain), BigDecimal.ONE});
        }
        Matcher fraction = FRACTION.matcher(plain);
        if (fraction.matches() && !new BigInteger(fraction.group(3)).equals(BigInteger.ZERO)) {
            BigDecimal numerator = new BigDecimal(fraction.group(2));
            return Optional.of(new BigDecimal[] {
                fraction.group(1).isEmpty() ? numerator : numerator.negate(), new BigDecimal(fraction.group(3))
            });
        }
        return Optional.empty();
    }
}
