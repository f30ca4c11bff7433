package dev.osprey.chat.impl;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;

import jinjava.javax.el.CompositeELResolver;

/**
 * What Hugging Face's chat-template environment has and Jinjava lacks or does differently:
 * {@code raise_exception}, {@code strftime_now}, Python's {@code json.dumps} as {@code tojson}
 * (with {@code indent}), the {@code items} filter, strings counting as {@code iterable}, and Python's
 * string and dict methods ({@link PythonMethods}).
 */
public final class JinjaLib {

    /** The message of the last {@code raise_exception} on this thread's current render. */
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    private JinjaLib() {}

    /** Thrown by {@code raise_exception}; Jinjava records it, the caller reads {@link #takeRaised()}. */
    public static final class TemplateRaise extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TemplateRaise(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Runs {@code work} with this bundle's class loader as the thread context class loader: Jinjava's EL
     * (JUEL) loads its own classes through it, and inside OSGi it would otherwise be the caller's.
     */
    public static <T> T withBundleLoader(Supplier<T> work) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(JinjaLib.class.getClassLoader());
        try {
            return work.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /**
     * A Jinjava set up as transformers' ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True), except
     * that lstrip_blocks is left to the template's preparation (JinjaChatTemplate), where it keeps Jinja's rule.
     */
    public static Jinjava newEngine() {
        return withBundleLoader(JinjaLib::configure);
    }

    private static Jinjava configure() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        LegacyOverrides overrides = LegacyOverrides.newBuilder()
                .withEvaluateMapKeys(true)
                .withIterateOverMapKeys(true)
                .withUsePyishObjectMapper(true)
                .withWhitespaceRequiredWithinTokens(false)
                .withUseNaturalOperatorPrecedence(true)
                .withParseWhitespaceControlStrictly(true)
                .withAllowAdjacentTextNodes(true)
                .withUseTrimmingForNotesAndExpressions(true)
                .withKeepNullableLoopValues(true)
                .build();
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(false)
                .withElResolver(resolver)
                .withLegacyOverrides(overrides)
                .withFailOnUnknownTokens(false)
                .withMaxOutputSize(64L << 20)
                .withNestedInterpretationEnabled(false)
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.registerFunction(
                new ELFunctionDefinition("", "raise_exception", JinjaLib.class, "raiseException", Object.class));
        jinjava.registerFunction(
                new ELFunctionDefinition("", "strftime_now", JinjaLib.class, "strftimeNow", String.class));
        jinjava.registerFilter(new ToJson());
        jinjava.registerFilter(new Items());
        jinjava.registerExpTest(new Iterable());
        return jinjava;
    }

    /** {@code raise_exception(message)}. */
    public static Object raiseException(Object message) {
        String text = String.valueOf(message);
        if (RAISED.get() == null) {
            RAISED.set(text); // the first one: Jinjava goes on rendering after it, Jinja stops there
        }
        throw new TemplateRaise(text);
    }

    /** The message raised during the render that just ended, if any; clears it. */
    public static String takeRaised() {
        String message = RAISED.get();
        RAISED.remove();
        return message;
    }

    /** {@code strftime_now(format)}: the local time in Python's strftime format. */
    public static String strftimeNow(String format) {
        return StrftimeFormatter.format(LocalDateTime.now().atZone(ZoneId.systemDefault()), format, Locale.ENGLISH);
    }

    /** {@code x|tojson}, {@code x|tojson(indent=4)}: Python's json.dumps(ensure_ascii=False). */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            Integer indent = args.length > 0 && args[0] != null ? Integer.valueOf(args[0].trim()) : null;
            return PyJson.dumps(var, indent);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.get("indent");
            if (indent == null && args.length > 0) {
                indent = args[0];
            }
            return PyJson.dumps(
                    var,
                    indent == null
                            ? null
                            : ((Number) (indent instanceof Number n ? n : Long.valueOf(indent.toString()))).intValue());
        }
    }

    /** {@code d|items}: the dict's key-value pairs (Jinja 3.1). */
    static final class Items implements Filter {
        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var == null) {
                return List.of();
            }
            if (var instanceof Map<?, ?> map) {
                return PythonMethods.items(map);
            }
            throw new IllegalArgumentException(
                    "items filter needs a mapping, got " + var.getClass().getSimpleName());
        }
    }

    /** {@code is iterable}: as in Python, strings and mappings are iterable too. */
    static final class Iterable implements ExpTest {
        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof java.lang.Iterable<?>
                    || var instanceof CharSequence
                    || var instanceof Map<?, ?>
                    || var instanceof Collection<?>
                    || (var != null && var.getClass().isArray());
        }
    }
}
