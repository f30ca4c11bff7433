package dev.osprey.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.ParsedCompletion;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.Segment;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.api.chat.ToolSpec;
import dev.osprey.chat.agent.AgentFormats;
import dev.osprey.chat.impl.JinjaLib;
import dev.osprey.checkpoint.TokenizerConfig;

/**
 * A model's own Hugging Face chat template (the Jinja {@code chat_template} of {@code tokenizer_config.json}
 * or {@code chat_template.jinja}), rendered as transformers' {@code apply_chat_template} renders it:
 * {@code trim_blocks} and {@code lstrip_blocks}, one trailing newline of the source dropped, the
 * variables {@code messages}, {@code tools}, {@code add_generation_prompt}, the special tokens
 * ({@code bos_token}, {@code eos_token}, ...) and any extra keyword arguments ({@code enable_thinking}),
 * and the functions {@code raise_exception} and {@code strftime_now}.
 *
 * <p>Messages become dicts as the OpenAI format has them: {@code content} a string (or, with media, a list
 * of {@code {type, text|image|video|audio}} parts), {@code tool_calls} as
 * {@code [{type: function, id, function: {name, arguments}}]} with the arguments parsed into a dict,
 * {@code tool_call_id}, and {@code reasoning_content}; keys without a value are left out, so that
 * {@code 'tool_calls' in message} and {@code is defined} answer as they do in Python.
 *
 * <p>Immutable and thread-safe.
 */
public final class JinjaChatTemplate implements ChatTemplate {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@link #opensThinking} by template arguments. */
    private final Map<Map<String, Object>, Boolean> opensThinking = new ConcurrentHashMap<>();
    /** {@code x[::-1]}, which Jinjava's slices do not support, becomes {@code (x|reverse|list)}. */
    private static final Pattern REVERSE_SLICE = Pattern.compile(
            "([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*|\\[[^\\[\\]]*\\])*)\\[\\s*:\\s*:\\s*-1\\s*\\]");

    /** {@code not x is defined}: Jinja reads {@code not (x is defined)}, Jinjava {@code (not x) is defined}. */
    private static final Pattern NOT_IS = Pattern.compile(
            "\\bnot\\s+([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*|\\[[^\\[\\]]*\\])*)\\s+is\\s+(not\\s+)?([A-Za-z_]+)\\b");

    /**
     * Jinja's {@code lstrip_blocks}: the spaces and tabs from the start of a line to a block or comment tag, unless
     * the tag opens with {@code +}. Done here because Jinjava's own also strips a blank text between two tags
     * inside a line ({@code {% endif %} {% endfor %}} loses its space).
     */
    private static final Pattern LINE_START_BEFORE_TAG = Pattern.compile("(?m)^[ \\t]+(?=\\{%(?!\\+)|\\{#)");

    private static final Pattern KEYWORD_ARGUMENT = Pattern.compile("(?s)(\\s*[A-Za-z_][A-Za-z0-9_]*\\s*)=(?!=)(.*)");

    private final String name;
    private final String source;
    private final String prepared;
    private final Map<String, Object> specialTokens;
    private final Jinjava engine;

    private JinjaChatTemplate(String name, String source, Map<String, ?> specialTokens) {
        this.name = Objects.requireNonNull(name, "name");
        this.source = Objects.requireNonNull(source, "source");
        this.prepared = prepare(source);
        Map<String, Object> tokens = new LinkedHashMap<>();
        specialTokens.forEach((k, v) -> {
            if (v != null) {
                tokens.put(k, v);
            }
        });
        this.specialTokens = Map.copyOf(tokens);
        this.engine = JinjaLib.newEngine();
    }

    /**
     * A template from its source.
     *
     * @param name what errors call it, e.g. the model folder and template name
     * @param specialTokens {@code bos_token}, {@code eos_token}, ... as the template sees them; null values are left out
     */
    public static JinjaChatTemplate of(String name, String source, Map<String, ?> specialTokens) {
        return new JinjaChatTemplate(name, source, specialTokens);
    }

    /** The default chat template of a tokenizer config, with its special tokens. */
    public static JinjaChatTemplate from(TokenizerConfig config) {
        return from(config, TokenizerConfig.DEFAULT_TEMPLATE);
    }

    /**
     * The named chat template of a tokenizer config ({@code default}, {@code tool_use}, ...), with its
     * special tokens.
     *
     * @throws IllegalArgumentException when the config has no template of that name
     */
    public static JinjaChatTemplate from(TokenizerConfig config, String templateName) {
        String source = config.chatTemplate(templateName)
                .orElseThrow(() -> new IllegalArgumentException(config.source() + " has no chat template named '"
                        + templateName + "' (it has " + config.chatTemplates().keySet() + ")"));
        return new JinjaChatTemplate(config.source() + "#" + templateName, source, specialTokens(config));
    }

    /** {@code bos_token}, {@code eos_token}, {@code pad_token}, {@code unk_token} and every other {@code *_token} string. */
    public static Map<String, Object> specialTokens(TokenizerConfig config) {
        Map<String, Object> tokens = new LinkedHashMap<>();
        config.asMap().forEach((key, value) -> {
            if (key.endsWith("_token")) {
                if (value instanceof String s) {
                    tokens.put(key, s);
                } else if (value instanceof Map<?, ?> added && added.get("content") instanceof String s) {
                    tokens.put(key, s);
                }
            }
        });
        config.bosToken().ifPresent(t -> tokens.put("bos_token", t));
        config.eosToken().ifPresent(t -> tokens.put("eos_token", t));
        config.padToken().ifPresent(t -> tokens.put("pad_token", t));
        config.unkToken().ifPresent(t -> tokens.put("unk_token", t));
        if (config.asMap().get("additional_special_tokens") instanceof List<?> list) {
            tokens.put("additional_special_tokens", list);
        }
        return tokens;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return "the model's own Jinja chat template";
    }

    /**
     * Read as the template writes: {@code <think>} blocks when its source has {@code </think>} (open from the start
     * when its generation prompt ends with {@code <think>}), and the tool calls of the syntax its source writes:
     * Hermes {@code <tool_call>} or DeepSeek-V3.1 {@code <｜tool▁calls▁begin｜>}.
     */
    @Override
    public ParsedCompletion parseCompletion(String completion, boolean finished, RenderOptions options) {
        boolean thinking = !thinkingEnd().isEmpty();
        return new CompletionSplitter(thinking, thinking && opensThinking(options), toolSyntax())
                .split(completion, finished);
    }

    @Override
    public List<ToolCall> parseToolCalls(String completion) {
        return parseCompletion(completion, true, RenderOptions.inference()).toolCalls();
    }

    @Override
    public String toolCallOpening(String function) {
        ToolSyntax syntax = toolSyntax();
        return syntax == null ? "" : syntax.opening(function);
    }

    @Override
    public String thinkingEnd() {
        return source.contains(CompletionSplitter.THINK_END) ? CompletionSplitter.THINK_END : "";
    }

    /** Whether the generation prompt opens a think block, per template arguments (a stream asks at every chunk). */
    private boolean opensThinking(RenderOptions options) {
        return opensThinking.computeIfAbsent(options.templateArgs(), args -> {
            synchronized (this) { // one Jinja interpreter per template, as ChatPromptEncoder renders
                return CompletionSplitter.opensThinking(this, options);
            }
        });
    }

    /** The call syntax the source writes, or null. */
    private ToolSyntax toolSyntax() {
        if (source.contains("<tool_call>")) {
            return CompletionSplitter.hermes();
        }
        if (source.contains("tool▁calls▁begin")) {
            return AgentFormats.find("deepseek_v3_1").orElseThrow();
        }
        return null;
    }

    /** The template source as given. */
    public String source() {
        return source;
    }

    /** The special tokens the template sees. */
    public Map<String, Object> specialTokenValues() {
        return specialTokens;
    }

    /**
     * Renders a conversation to text, as {@code tokenizer.apply_chat_template(messages, tools=tools,
     * add_generation_prompt=..., tokenize=False, **kwargs)} does.
     *
     * @throws IllegalArgumentException when the template calls {@code raise_exception} (naming this template
     *         and the message) or fails to render
     */
    public String apply(Conversation conversation, boolean addGenerationPrompt, Map<String, ?> kwargs) {
        return applyRaw(
                toHfMessages(conversation.messages()),
                conversation.tools().isEmpty() ? null : toHfTools(conversation.tools()),
                addGenerationPrompt,
                kwargs);
    }

    /**
     * Renders messages already in Hugging Face's dict form.
     *
     * @param tools the tools in OpenAI form, or null for none (templates test {@code tools is not none})
     */
    public String applyRaw(
            List<? extends Map<String, ?>> messages,
            List<? extends Map<String, ?>> tools,
            boolean addGenerationPrompt,
            Map<String, ?> kwargs) {
        Map<String, Object> context = new LinkedHashMap<>(specialTokens);
        context.put("messages", messages);
        context.put("tools", tools);
        context.put("documents", null);
        context.put("add_generation_prompt", addGenerationPrompt);
        if (kwargs != null) {
            context.putAll(kwargs);
        }
        if (tools == null) {
            context.remove("tools");
        }
        context.remove("documents");
        JinjaLib.takeRaised();
        RenderResult result;
        try {
            result = JinjaLib.withBundleLoader(() -> engine.renderForResult(prepared, context));
        } catch (RuntimeException e) {
            String raised = JinjaLib.takeRaised();
            if (raised != null) {
                throw raised(raised);
            }
            throw new IllegalArgumentException("chat template '" + name + "' failed: " + e.getMessage(), e);
        }
        String raised = JinjaLib.takeRaised();
        if (raised != null) {
            throw raised(raised);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new IllegalArgumentException(
                        "chat template '" + name + "' failed at line " + error.getLineno() + ": " + error.getMessage(),
                        error.getException());
            }
        }
        return result.getOutput();
    }

    private IllegalArgumentException raised(String message) {
        return new IllegalArgumentException("chat template '" + name + "' raised: " + message);
    }

    /**
     * One text segment per stretch of the rendering: the assistant turns trainable as
     * {@link RenderOptions#lossScope()} says. A turn's span is what rendering the conversation up to and
     * including it adds to rendering the conversation before it with the generation prompt, less trailing
     * whitespace; where a template does not render prefixes as prefixes of the whole, that turn stays
     * untrainable. Media parts reach the template as Hugging Face's list-of-parts content; the text it writes
     * for them (a multimodal template's placeholders) stays in the text, which {@link ChatPromptEncoder} splits.
     */
    @Override
    public List<Segment> render(Conversation conversation, RenderOptions options) {
        String full = apply(conversation, options.addGenerationPrompt(), options.templateArgs());
        if (RenderOptions.ALL.equals(options.lossScope())) {
            return List.of(Segment.text(full, true));
        }
        List<ChatMessage> messages = conversation.messages();
        int lastAssistant = -1;
        for (int i = 0; i < messages.size(); i++) {
            if ("assistant".equals(messages.get(i).role())) {
                lastAssistant = i;
            }
        }
        List<int[]> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!"assistant".equals(messages.get(i).role())
                    || (RenderOptions.LAST_ROUND.equals(options.lossScope()) && i != lastAssistant)) {
                continue;
            }
            try {
                String before = apply(
                        new Conversation(messages.subList(0, i), conversation.tools()), true, options.templateArgs());
                String upTo = apply(
                        new Conversation(messages.subList(0, i + 1), conversation.tools()),
                        false,
                        options.templateArgs());
                if (upTo.startsWith(before) && full.startsWith(upTo)) {
                    int end = upTo.length();
                    while (end > before.length() && Character.isWhitespace(upTo.charAt(end - 1))) {
                        end--;
                    }
                    if (end > before.length()) {
                        spans.add(new int[] {before.length(), end});
                    }
                }
            } catch (IllegalArgumentException e) {
                // a prefix the template refuses (roles must alternate, ...): this turn stays untrainable
            }
        }
        List<Segment> out = new ArrayList<>();
        int at = 0;
        for (int[] span : spans) {
            if (span[0] < at) {
                continue;
            }
            if (span[0] > at) {
                out.add(Segment.text(full.substring(at, span[0]), false));
            }
            out.add(Segment.text(full.substring(span[0], span[1]), true));
            at = span[1];
        }
        if (at < full.length()) {
            out.add(Segment.text(full.substring(at), false));
        }
        return out;
    }

    /** Messages in Hugging Face's dict form. */
    public static List<Map<String, Object>> toHfMessages(List<ChatMessage> messages) {
        List<Map<String, Object>> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("role", m.role());
            boolean textOnly = m.content().stream().allMatch(ContentPart::isText);
            if (textOnly) {
                d.put("content", m.text());
            } else {
                List<Map<String, Object>> parts = new ArrayList<>();
                for (ContentPart p : m.content()) {
                    Map<String, Object> part = new LinkedHashMap<>();
                    part.put("type", p.type());
                    part.put(p.type(), p.value());
                    parts.add(part);
                }
                d.put("content", parts);
            }
            if (!m.reasoning().isEmpty()) {
                d.put("reasoning_content", m.reasoning());
            }
            if (!m.toolCalls().isEmpty()) {
                List<Map<String, Object>> calls = new ArrayList<>();
                for (ToolCall call : m.toolCalls()) {
                    Map<String, Object> function = new LinkedHashMap<>();
                    function.put("name", call.name());
                    function.put("arguments", parseJson(call.argumentsJson(), "arguments of tool call " + call.name()));
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("type", "function");
                    if (call.id() != null && !call.id().isEmpty()) {
                        c.put("id", call.id());
                    }
                    c.put("function", function);
                    calls.add(c);
                }
                d.put("tool_calls", calls);
            }
            if (!m.toolCallId().isEmpty()) {
                d.put("tool_call_id", m.toolCallId());
            }
            out.add(d);
        }
        return out;
    }

    /** Tools in OpenAI's form: {@code {type: function, function: {name, description, parameters}}}. */
    public static List<Map<String, Object>> toHfTools(List<ToolSpec> tools) {
        List<Map<String, Object>> out = new ArrayList<>(tools.size());
        for (ToolSpec t : tools) {
            Map<String, Object> function = new LinkedHashMap<>();
            function.put("name", t.name());
            function.put("description", t.description());
            function.put("parameters", parseJson(t.parametersSchemaJson(), "parameters of tool " + t.name()));
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("type", "function");
            d.put("function", function);
            out.add(d);
        }
        return out;
    }

    /** JSON text as maps (in order), lists, strings, numbers, booleans and nulls. */
    public static Object parseJson(String json, String what) {
        if (json == null || json.isBlank()) {
            return new LinkedHashMap<String, Object>();
        }
        try {
            return JSON.readValue(json, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Jinja drops one trailing newline of the source (keep_trailing_newline=False); Jinjava lacks {@code [::-1]}. */
    static String prepare(String source) {
        String s = source;
        if (s.endsWith("\r\n")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("\n")) {
            s = s.substring(0, s.length() - 1);
        }
        s = LINE_START_BEFORE_TAG.matcher(s).replaceAll("").replace("{%+", "{%");
        s = REVERSE_SLICE.matcher(s).replaceAll("($1|reverse|list)");
        s = NOT_IS.matcher(s).replaceAll("not ($1 is $2$3)");
        return parenthesizeKeywordArguments(s, "namespace(");
    }

    /**
     * Jinjava binds {@code k=a|length - 1} as {@code (k=a|length) - 1}; Jinja binds the whole expression to
     * {@code k}. Wraps each keyword argument's value of {@code call} in parentheses.
     */
    static String parenthesizeKeywordArguments(String s, String call) {
        StringBuilder out = new StringBuilder();
        int from = 0;
        int at;
        while ((at = s.indexOf(call, from)) >= 0) {
            int open = at + call.length() - 1;
            int close = matching(s, open);
            if (close < 0) {
                break;
            }
            out.append(s, from, open + 1);
            List<String> args = topLevelSplit(s.substring(open + 1, close));
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                Matcher kw = KEYWORD_ARGUMENT.matcher(arg);
                out.append(i == 0 ? "" : ",");
                out.append(kw.matches() ? kw.group(1) + "=(" + kw.group(2) + ")" : arg);
            }
            out.append(')');
            from = close + 1;
        }
        return out.append(s.substring(from)).toString();
    }

    private static int matching(String s, int open) {
        int depth = 0;
        char quote = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    private static List<String> topLevelSplit(String s) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        char quote = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(s.substring(start, i));
                start = i + 1;
            }
        }
        if (start < s.length() || !out.isEmpty()) {
            out.add(s.substring(start));
        }
        return out;
    }

    @Override
    public String toString() {
        return "JinjaChatTemplate[" + name + "]";
    }
}
