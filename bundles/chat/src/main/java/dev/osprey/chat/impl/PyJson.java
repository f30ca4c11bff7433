package dev.osprey.chat.impl;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=indent)}, which is what Hugging Face's
 * {@code tojson} filter produces: {@code ", "} and {@code ": "} separators without indent, {@code ","} and
 * newlines with it, keys in insertion order, floats as Python writes them.
 */
public final class PyJson {

    private PyJson() {}

    public static String dumps(Object value) {
        return dumps(value, null);
    }

    /** @param indent spaces per level, or null for one line */
    public static String dumps(Object value, Integer indent) {
        StringBuilder out = new StringBuilder();
        write(out, value, indent, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, Integer indent, int level) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof CharSequence s) {
            quote(out, s.toString());
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value instanceof Double || value instanceof Float) {
            out.append(pyFloat(((Number) value).doubleValue()));
        } else if (value instanceof BigDecimal d) {
            out.append(pyFloat(d.doubleValue()));
        } else if (value instanceof Number n) {
            out.append(n instanceof BigInteger ? n.toString() : Long.toString(n.longValue()));
        } else if (value instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
            boolean first = true;
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                separator(out, first, indent, level + 1);
                first = false;
                quote(out, String.valueOf(e.getKey()));
                out.append(": ");
                write(out, e.getValue(), indent, level + 1);
            }
            close(out, indent, level);
            out.append('}');
        } else if (value instanceof Iterable<?> list) {
            Iterator<?> it = list.iterator();
            if (!it.hasNext()) {
                out.append("[]");
                return;
            }
            out.append('[');
            boolean first = true;
            while (it.hasNext()) {
                separator(out, first, indent, level + 1);
                first = false;
                write(out, it.next(), indent, level + 1);
            }
            close(out, indent, level);
            out.append(']');
        } else if (value instanceof Object[] array) {
            write(out, Arrays.asList(array), indent, level);
        } else {
            quote(out, value.toString());
        }
    }

    private static void separator(StringBuilder out, boolean first, Integer indent, int level) {
        if (indent == null) {
            if (!first) {
                out.append(", ");
            }
            return;
        }
        if (!first) {
            out.append(',');
        }
        out.append('\n').append(" ".repeat(indent * level));
    }

    private static void close(StringBuilder out, Integer indent, int level) {
        if (indent != null) {
            out.append('\n').append(" ".repeat(indent * level));
        }
    }

    private static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, exponent from 1e16 and below 1e-4. */
    static String pyFloat(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        double abs = Math.abs(d);
        if (abs >= 1e16 || abs < 1e-4) {
            String digits = exact.unscaledValue().abs().toString();
            int exponent = digits.length() - 1 - exact.scale();
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return (d < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+")
                    + String.format("%02d", Math.abs(exponent));
        }
        String plain = exact.toPlainString();
        return plain.contains(".") ? plain : plain + ".0";
    }
}
