package dev.osprey.chat.impl;

import java.beans.FeatureDescriptor;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's string and dict methods that chat templates call ({@code content.strip('\n')},
 * {@code content.split('</think>')}, {@code s.startswith(...)}, {@code d.items()}, {@code d.get(k, v)}),
 * which Jinjava, resolving methods on Java objects, does not have. Placed before Jinjava's own
 * resolver; anything it does not know falls through to it.
 */
public final class PythonMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (base == null || method == null) {
            return null;
        }
        String name = method.toString();
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof CharSequence cs) {
            result = stringMethod(cs.toString(), name, args);
        } else if (base instanceof Map<?, ?> map) {
            result = mapMethod(map, name, args);
        } else {
            return null;
        }
        if (result == NONE) {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NONE = new Object();

    static Object stringMethod(String s, String name, Object[] a) {
        switch (name) {
            case "strip":
                return a.length == 0 || a[0] == null ? pyStrip(s, null, true, true) : pyStrip(s, str(a[0]), true, true);
            case "lstrip":
                return a.length == 0 || a[0] == null
                        ? pyStrip(s, null, true, false)
                        : pyStrip(s, str(a[0]), true, false);
            case "rstrip":
                return a.length == 0 || a[0] == null
                        ? pyStrip(s, null, false, true)
                        : pyStrip(s, str(a[0]), false, true);
            case "startswith":
                return affix(s, a, true);
            case "endswith":
                return affix(s, a, false);
            case "split":
                return split(s, a.length > 0 ? a[0] : null, a.length > 1 ? toInt(a[1]) : -1);
            case "rsplit":
                return rsplit(s, a.length > 0 ? a[0] : null, a.length > 1 ? toInt(a[1]) : -1);
            case "splitlines":
                return splitlines(s);
            case "replace": {
                if (a.length < 2) {
                    return NONE;
                }
                int count = a.length > 2 ? toInt(a[2]) : -1;
                return replace(s, str(a[0]), str(a[1]), count);
            }
            case "upper":
                return s.toUpperCase(Locale.ROOT);
            case "lower":
                return s.toLowerCase(Locale.ROOT);
            case "title":
                return title(s);
            case "capitalize":
                return s.isEmpty()
                        ? s
                        : s.substring(0, 1).toUpperCase(Locale.ROOT)
                                + s.substring(1).toLowerCase(Locale.ROOT);
            case "find":
                return a.length == 0 ? NONE : (long) s.indexOf(str(a[0]));
            case "rfind":
                return a.length == 0 ? NONE : (long) s.lastIndexOf(str(a[0]));
            case "count":
                return a.length == 0 ? NONE : count(s, str(a[0]));
            case "join":
                return a.length == 0 ? NONE : join(s, a[0]);
            case "isdigit":
                return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace":
                return !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
            case "isalpha":
                return !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            default:
                return NONE;
        }
    }

    static Object mapMethod(Map<?, ?> map, String name, Object[] a) {
        switch (name) {
            case "items":
                return items(map);
            case "keys":
                return new ArrayList<>(map.keySet());
            case "values":
                return new ArrayList<>(map.values());
            case "get":
                if (a.length == 0) {
                    return NONE;
                }
                Object v = map.get(a[0]);
                return v != null ? v : (a.length > 1 ? a[1] : null);
            default:
                return NONE;
        }
    }

    /** {@code dict.items()}: entries that a two-variable for loop unpacks. */
    public static List<Map.Entry<Object, Object>> items(Map<?, ?> map) {
        List<Map.Entry<Object, Object>> out = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            out.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue()));
        }
        return out;
    }

    private static String str(Object o) {
        return o == null ? "None" : o.toString();
    }

    private static int toInt(Object o) {
        return o instanceof Number n ? n.intValue() : Integer.parseInt(o.toString());
    }

    /** Python's strip: whitespace when {@code chars} is null, otherwise any of {@code chars}. */
    public static String pyStrip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        if (left) {
            while (start < end && strippable(s.charAt(start), chars)) {
                start++;
            }
        }
        if (right) {
            while (end > start && strippable(s.charAt(end - 1), chars)) {
                end--;
            }
        }
        return s.substring(start, end);
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? isPyWhitespace(c) : chars.indexOf(c) >= 0;
    }

    static boolean isPyWhitespace(char c) {
        return Character.isWhitespace(c)
                || Character.isSpaceChar(c)
                || c == '\u001c'
                || c == '\u001d'
                || c == '\u001e'
                || c == '\u001f'
                || c == '\u0085';
    }

    private static boolean affix(String s, Object[] a, boolean prefix) {
        if (a.length == 0) {
            return false;
        }
        List<String> candidates = new ArrayList<>();
        if (a[0] instanceof Collection<?> c) {
            c.forEach(x -> candidates.add(str(x)));
        } else if (a[0] instanceof Object[] arr) {
            for (Object x : arr) {
                candidates.add(str(x));
            }
        } else {
            candidates.add(str(a[0]));
        }
        for (String c : candidates) {
            if (prefix ? s.startsWith(c) : s.endsWith(c)) {
                return true;
            }
        }
        return false;
    }

    /** Python's {@code str.split(sep, maxsplit)}. */
    public static List<String> split(String s, Object sep, int maxsplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            int splits = 0;
            while (i < n) {
                while (i < n && isPyWhitespace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && splits >= maxsplit) {
                    out.add(pyStrip(s.substring(i), null, false, true));
                    return out;
                }
                int j = i;
                while (j < n && !isPyWhitespace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                splits++;
                i = j;
            }
            return out;
        }
        String d = sep.toString();
        if (d.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int from = 0;
        int splits = 0;
        while (maxsplit < 0 || splits < maxsplit) {
            int at = s.indexOf(d, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + d.length();
            splits++;
        }
        out.add(s.substring(from));
        return out;
    }

    private static List<String> rsplit(String s, Object sep, int maxsplit) {
        if (maxsplit < 0 || sep == null) {
            return split(s, sep, maxsplit);
        }
        String d = sep.toString();
        List<String> out = new ArrayList<>();
        int end = s.length();
        int splits = 0;
        while (splits < maxsplit) {
            int at = s.lastIndexOf(d, end - d.length());
            if (at < 0) {
                break;
            }
            out.add(0, s.substring(at + d.length(), end));
            end = at;
            splits++;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    private static String replace(String s, String old, String with, int count) {
        if (count < 0) {
            return s.replace(old, with);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int i = 0; i < count; i++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out.append(s, from, at).append(with);
            from = at + old.length();
        }
        return out.append(s.substring(from)).toString();
    }

    private static List<String> splitlines(String s) {
        List<String> out = new ArrayList<>(List.of(s.split("\r\n|\r|\n", -1)));
        if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        int from = 0;
        while ((from = s.indexOf(sub, from)) >= 0) {
            n++;
            from += sub.length();
        }
        return n;
    }

    private static String join(String sep, Object items) {
        StringBuilder out = new StringBuilder();
        Iterator<?> it =
                items instanceof Iterable<?> i ? i.iterator() : List.of(items).iterator();
        boolean first = true;
        while (it.hasNext()) {
            if (!first) {
                out.append(sep);
            }
            first = false;
            out.append(str(it.next()));
        }
        return out.toString();
    }

    /** Python's {@code str.title()}: a letter after a non-letter is upper-cased, other letters lower-cased. */
    public static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isLetter(c)) {
                out.append(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
                previousCased = true;
            } else {
                out.append(c);
                previousCased = false;
            }
        }
        return out.toString();
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // read-only, as Hugging Face's ImmutableSandboxedEnvironment
    }
}
