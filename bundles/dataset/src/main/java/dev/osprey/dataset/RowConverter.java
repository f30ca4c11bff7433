package dev.osprey.dataset;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.api.chat.ToolSpec;

/** Turns one raw row (a JSON object, or a CSV record as strings) into a {@link DatasetRow}, as ms-swift's AutoPreprocessor. */
final class RowConverter {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private static final Pattern MEDIA_TAG = Pattern.compile("<(image|video|audio)>");
    private static final String[] MEDIA_COLUMNS = {"images", "videos", "audios"};

    /** A row problem; the reader adds file:line. */
    static final class RowException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RowException(String message) {
            super(message);
        }
    }

    /** A message being built. */
    private static final class Msg {
        String role;
        List<ContentPart> parts = new ArrayList<>();
        List<ToolCall> calls = new ArrayList<>();
        String toolCallId = "";
        String reasoning = "";
        boolean fromToolCallRole;

        Msg(String role) {
            this.role = role;
        }

        ChatMessage toMessage() {
            return new ChatMessage(role, parts, calls, toolCallId, reasoning);
        }
    }

    private final Map<String, String> columns;

    RowConverter(Map<String, String> columns) {
        this.columns = columns;
    }

    DatasetRow convert(ObjectNode raw, String source) {
        LinkedHashMap<String, JsonNode> row = rename(raw);
        aliases(row);

        Map<String, List<String>> media = new LinkedHashMap<>();
        for (String key : MEDIA_COLUMNS) {
            JsonNode node = row.remove(key);
            if (node != null) {
                media.put(key, mediaList(key, node));
            }
        }
        String system = text(row.remove("system"), "system");
        List<ToolSpec> tools = tools(row.remove("tools"));

        List<Msg> msgs;
        JsonNode messagesNode = row.remove("messages");
        if (messagesNode != null) {
            msgs = messages(structured(messagesNode, "messages"), "messages");
        } else if (row.containsKey("instruction")
                || row.containsKey("input")
                || row.containsKey("output")
                || row.containsKey("query")
                || row.containsKey("response")) {
            msgs = queryResponse(row);
        } else {
            throw new RowException(
                    "unknown format: found the keys "
                            + raw.properties().stream().map(Map.Entry::getKey).toList()
                            + (columns.isEmpty() ? "" : " (after --columns: " + row.keySet() + ")")
                            + "; expected messages, conversations, instruction/input/output or query/response (rename columns with --columns)");
        }
        prependSystem(msgs, system);
        List<ChatMessage> chosen = expandMedia(msgs, media, true);
        validate(chosen, "messages");

        Optional<List<ChatMessage>> rejected = Optional.empty();
        JsonNode rejectedMessages = row.remove("rejected_messages");
        JsonNode rejectedResponse = row.remove("rejected_response");
        if (rejectedResponse != null && rejectedResponse.isArray()) {
            // an embedding row's hard negatives (ms-swift: a list of texts), not a preference pair: kept in extra
            row.put("rejected_response", rejectedResponse);
            rejectedResponse = null;
        }
        if (rejectedMessages != null && rejectedResponse != null) {
            throw new RowException("both rejected_messages and rejected_response are given; keep one");
        }
        if (rejectedMessages != null) {
            List<Msg> r = messages(structured(rejectedMessages, "rejected_messages"), "rejected_messages");
            prependSystem(r, system);
            List<ChatMessage> rejectedAll = expandMedia(r, media, false);
            validate(rejectedAll, "rejected_messages");
            rejected = Optional.of(rejectedTail(chosen, rejectedAll));
        } else if (rejectedResponse != null) {
            String text = text(rejectedResponse, "rejected_response");
            if (chosen.isEmpty()
                    || !"assistant".equals(chosen.get(chosen.size() - 1).role())) {
                throw new RowException("rejected_response is given but the last message is not an assistant message");
            }
            if (text.equals(chosen.get(chosen.size() - 1).text())) {
                throw new RowException("rejected_response is the same as the chosen response");
            }
            rejected = Optional.of(List.of(ChatMessage.of("assistant", text)));
        }

        Optional<Boolean> label = Optional.empty();
        JsonNode labelNode = row.get("label");
        if (labelNode != null) {
            Boolean b = label(labelNode);
            if (b != null) {
                row.remove("label");
                label = Optional.of(b);
            }
        }

        Map<String, Object> extra = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : row.entrySet()) {
            extra.put(e.getKey(), MAPPER.convertValue(e.getValue(), Object.class));
        }
        return new DatasetRow(new Conversation(chosen, tools), rejected, label, extra, source);
    }

    // ---- columns

    private LinkedHashMap<String, JsonNode> rename(ObjectNode raw) {
        LinkedHashMap<String, JsonNode> row = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : raw.properties()) {
            if (e.getValue() == null || e.getValue().isNull()) {
                continue;
            }
            String key = columns.getOrDefault(e.getKey(), e.getKey());
            if (row.containsKey(key)) {
                throw new RowException(
                        "column '" + key + "' appears twice after --columns renaming (from '" + e.getKey() + "')");
            }
            row.put(key, e.getValue());
        }
        return row;
    }

    /** ms-swift's automatic column names, taken only when the standard name is absent and one alias is present. */
    private static void aliases(Map<String, JsonNode> row) {
        alias(row, "messages", "conversations", "conversation");
        alias(row, "system", "system_prompt");
        JsonNode chosen = row.get("chosen");
        if (chosen != null) {
            JsonNode c = chosen.isTextual() && looksLikeJson(chosen.asText())
                    ? parseJson(chosen.asText(), "chosen")
                    : chosen;
            if (c.isArray()) {
                if (!row.containsKey("messages")) {
                    row.remove("chosen");
                    row.put("messages", c);
                    alias(row, "rejected_messages", "rejected");
                }
            } else if (!row.containsKey("response") && !row.containsKey("messages")) {
                row.remove("chosen");
                row.put("response", chosen);
                alias(row, "rejected_response", "rejected");
            }
        }
        JsonNode rejected = row.get("rejected");
        if (rejected != null && !row.containsKey("rejected_messages") && !row.containsKey("rejected_response")) {
            JsonNode r = rejected.isTextual() && looksLikeJson(rejected.asText())
                    ? parseJson(rejected.asText(), "rejected")
                    : rejected;
            row.remove("rejected");
            row.put(r.isArray() ? "rejected_messages" : "rejected_response", r);
        }
        if (!row.containsKey("messages")) {
            alias(row, "query", "prompt", "question");
            alias(row, "response", "answer", "completion", "text");
        }
    }

    private static void alias(Map<String, JsonNode> row, String standard, String... names) {
        if (row.containsKey(standard)) {
            return;
        }
        String found = null;
        for (String n : names) {
            if (row.containsKey(n)) {
                if (found != null) {
                    return; // two candidates: ambiguous, as ms-swift leave both alone
                }
                found = n;
            }
        }
        if (found != null) {
            row.put(standard, row.remove(found));
        }
    }

    // ---- formats

    private List<Msg> queryResponse(Map<String, JsonNode> row) {
        String query = text(row.remove("query"), "query");
        String instruction = text(row.remove("instruction"), "instruction");
        String input = text(row.remove("input"), "input");
        String response = text(row.remove("response"), "response");
        String output = text(row.remove("output"), "output");
        if (query == null && (instruction != null || input != null)) {
            query = instruction == null || instruction.isEmpty()
                    ? (input == null ? "" : input)
                    : input == null || input.isEmpty() ? instruction : instruction + "\n" + input;
        }
        if (response == null) {
            response = output;
        } else if (output != null) {
            throw new RowException("both response and output are given");
        }
        List<Msg> msgs = new ArrayList<>();
        JsonNode history = row.remove("history");
        if (history != null) {
            JsonNode h = structured(history, "history");
            if (!h.isArray()) {
                throw new RowException("history must be a list of [query, response] pairs");
            }
            int i = 0;
            for (JsonNode pair : h) {
                if (!pair.isArray() || pair.size() != 2) {
                    throw new RowException(
                            "history[" + i + "] must be a [query, response] pair, found " + abbreviate(pair));
                }
                msgs.add(textMsg("user", text(pair.get(0), "history[" + i + "][0]")));
                msgs.add(textMsg("assistant", text(pair.get(1), "history[" + i + "][1]")));
                i++;
            }
        }
        if (query != null) {
            msgs.add(textMsg("user", query));
        }
        if (response != null) {
            msgs.add(textMsg("assistant", response));
        }
        return msgs;
    }

    private static Msg textMsg(String role, String text) {
        Msg m = new Msg(role);
        m.parts.add(ContentPart.text(text == null ? "" : text));
        return m;
    }

    private List<Msg> messages(JsonNode node, String column) {
        if (!node.isArray()) {
            throw new RowException(column + " must be a list of messages, found " + abbreviate(node));
        }
        List<Msg> out = new ArrayList<>();
        int i = 0;
        for (JsonNode m : node) {
            String where = column + "[" + i + "]";
            if (!m.isObject()) {
                throw new RowException(where + " must be an object, found " + abbreviate(m));
            }
            JsonNode roleNode = m.has("role") ? m.get("role") : m.get("from");
            if (roleNode == null && !m.has("content") && !m.has("value")) {
                sharegptPair(m, where, out);
            } else {
                message(m, roleNode, where, out);
            }
            i++;
        }
        return out;
    }

    /** ShareGPT's pair form: {"human": q, "assistant": r} (or user/gpt/bot/tool). */
    private static void sharegptPair(JsonNode m, String where, List<Msg> out) {
        JsonNode user = first(m, "human", "user");
        JsonNode tool = m.get("tool");
        JsonNode assistant = first(m, "assistant", "gpt", "bot");
        if (user == null && tool == null && assistant == null) {
            throw new RowException(
                    where + " has no role: found the keys " + names(m) + "; expected role/content or from/value");
        }
        if (tool != null) {
            out.add(textMsg("tool", text(tool, where + ".tool")));
        } else if (user != null) {
            out.add(textMsg("user", text(user, where + ".human")));
        }
        if (assistant != null) {
            out.add(textMsg("assistant", text(assistant, where + ".assistant")));
        }
    }

    private static void message(JsonNode m, JsonNode roleNode, String where, List<Msg> out) {
        if (roleNode == null || !roleNode.isTextual()) {
            throw new RowException(where + " has no role (role or from): found the keys " + names(m));
        }
        String given = roleNode.asText();
        String role = switch (given.toLowerCase(Locale.ROOT)) {
            case "system" -> "system";
            case "user", "human" -> "user";
            case "assistant", "gpt", "bot" -> "assistant";
            case "tool", "tool_response", "observation", "function", "ipython" -> "tool";
            case "tool_call", "function_call" -> "tool_call";
            default ->
                throw new RowException(where + " has an unknown role '" + given
                        + "'; expected system, user/human, assistant/gpt, tool/observation or tool_call/function_call");
        };
        JsonNode content = m.has("content") ? m.get("content") : m.get("value");
        if ("tool_call".equals(role)) {
            ToolCall call = toolCall(content, "", where);
            Msg prev = out.isEmpty() ? null : out.get(out.size() - 1);
            if (prev == null || !"assistant".equals(prev.role)) {
                prev = new Msg("assistant");
                prev.fromToolCallRole = true;
                out.add(prev);
            }
            prev.calls.add(call);
            return;
        }
        Msg msg = new Msg(role);
        if (content != null && !content.isNull()) {
            if (content.isTextual()) {
                msg.parts.add(ContentPart.text(content.asText()));
            } else if (content.isArray()) {
                contentParts(content, where, msg.parts);
            } else if (content.isObject() && "tool".equals(role)) {
                msg.parts.add(ContentPart.text(content.toString()));
            } else {
                throw new RowException(
                        where + ".content must be a string or a list of parts, found " + abbreviate(content));
            }
        }
        JsonNode calls = m.get("tool_calls");
        if (calls != null && !calls.isNull()) {
            if (!calls.isArray()) {
                throw new RowException(where + ".tool_calls must be a list");
            }
            if (!"assistant".equals(role)) {
                throw new RowException(
                        where + " has tool_calls but its role is '" + given + "'; only assistant messages call tools");
            }
            int k = 0;
            for (JsonNode c : calls) {
                JsonNode id = c.get("id");
                JsonNode fn = c.has("function") ? c.get("function") : c;
                msg.calls.add(
                        toolCall(fn, id == null || id.isNull() ? "" : id.asText(), where + ".tool_calls[" + k++ + "]"));
            }
        }
        JsonNode callId = m.get("tool_call_id");
        if (callId != null && !callId.isNull()) {
            msg.toolCallId = callId.asText();
        }
        JsonNode reasoning = first(m, "reasoning_content", "reasoning");
        if (reasoning != null && reasoning.isTextual()) {
            msg.reasoning = reasoning.asText();
        }
        out.add(msg);
    }

    private static void contentParts(JsonNode content, String where, List<ContentPart> parts) {
        int k = 0;
        for (JsonNode p : content) {
            String w = where + ".content[" + k++ + "]";
            if (p.isTextual()) {
                parts.add(ContentPart.text(p.asText()));
                continue;
            }
            String type = p.path("type").asText("");
            switch (type) {
                case "text" -> parts.add(ContentPart.text(p.path("text").asText("")));
                case "image_url", "image", "video_url", "video", "audio_url", "audio", "input_audio" -> {
                    String kind = type.startsWith("image")
                            ? ContentPart.IMAGE
                            : type.startsWith("video") ? ContentPart.VIDEO : ContentPart.AUDIO;
                    JsonNode v = p.get(type);
                    if (v != null && v.isObject()) {
                        v = first(v, "url", "path", "data");
                    }
                    if (v == null || !v.isTextual()) {
                        throw new RowException(w + " of type " + type + " has no reference (a URL or a path)");
                    }
                    parts.add(new ContentPart(kind, v.asText()));
                }
                default ->
                    throw new RowException(w + " has an unknown part type '" + type
                            + "'; expected text, image_url, image, video, audio");
            }
        }
    }

    private static ToolCall toolCall(JsonNode node, String id, String where) {
        JsonNode call = node;
        if (call != null && call.isTextual()) {
            call = parseJson(call.asText(), where);
        }
        if (call == null || !call.isObject() || !call.path("name").isTextual()) {
            throw new RowException(
                    where + ": a tool call must be a JSON object with a name and arguments, found " + abbreviate(node));
        }
        JsonNode args = call.get("arguments");
        if (args == null) {
            args = call.get("parameters");
        }
        String argsJson = args == null || args.isNull() ? "{}" : args.isTextual() ? args.asText() : args.toString();
        if (id.isEmpty() && call.path("id").isTextual()) {
            id = call.get("id").asText();
        }
        return new ToolCall(id, call.get("name").asText(), argsJson);
    }

    private static void prependSystem(List<Msg> msgs, String system) {
        if (system == null || system.isEmpty()) {
            return;
        }
        if (!msgs.isEmpty() && "system".equals(msgs.get(0).role)) {
            return; // the system message in the messages wins
        }
        msgs.add(0, textMsg("system", system));
    }

    private static List<ToolSpec> tools(JsonNode node) {
        if (node == null) {
            return List.of();
        }
        JsonNode list = structured(node, "tools");
        if (list.isObject()) {
            list = MAPPER.createArrayNode().add(list);
        }
        if (!list.isArray()) {
            throw new RowException(
                    "tools must be a list of tools (or a JSON string of one), found " + abbreviate(node));
        }
        List<ToolSpec> specs = new ArrayList<>();
        int i = 0;
        for (JsonNode t : list) {
            JsonNode fn = t.has("function") ? t.get("function") : t;
            if (!fn.path("name").isTextual()) {
                throw new RowException("tools[" + i + "] has no name: " + abbreviate(t));
            }
            JsonNode params = fn.get("parameters");
            specs.add(new ToolSpec(
                    fn.get("name").asText(),
                    fn.path("description").asText(""),
                    params == null || params.isNull() ? "{}" : params.toString()));
            i++;
        }
        return specs;
    }

    // ---- media

    private static List<String> mediaList(String key, JsonNode node) {
        JsonNode n = node.isTextual()
                        && looksLikeJson(node.asText())
                        && node.asText().startsWith("[")
                ? parseJson(node.asText(), key)
                : node;
        List<String> out = new ArrayList<>();
        if (n.isArray()) {
            int i = 0;
            for (JsonNode e : n) {
                out.add(mediaRef(e, key + "[" + i++ + "]"));
            }
        } else {
            out.add(mediaRef(n, key));
        }
        return out;
    }

    private static String mediaRef(JsonNode e, String where) {
        if (e.isTextual()) {
            return e.asText();
        }
        JsonNode ref = e.isObject() ? first(e, "path", "url") : null;
        if (ref != null && ref.isTextual()) {
            return ref.asText();
        }
        throw new RowException(
                where + " must be a path or URL (or an object with one under path/url), found " + abbreviate(e));
    }

    /**
     * Replaces the {@code <image>}, {@code <video>} and {@code <audio>} tags of the text parts, in message order,
     * with the media of the matching columns. Media left over go to the front of the first non-system message
     * (as ms-swift's template adds the missing tags there); more tags than media is an error. Tags whose column
     * is absent stay text.
     */
    private static List<ChatMessage> expandMedia(List<Msg> msgs, Map<String, List<String>> media, boolean strict) {
        Map<String, Integer> used = new LinkedHashMap<>();
        List<Msg> result = new ArrayList<>();
        for (int i = 0; i < msgs.size(); i++) {
            Msg m = msgs.get(i);
            if (media.isEmpty()) {
                result.add(m);
                continue;
            }
            List<ContentPart> parts = new ArrayList<>();
            for (ContentPart p : m.parts) {
                if (!p.isText()) {
                    parts.add(p);
                    continue;
                }
                String s = p.value();
                Matcher mt = MEDIA_TAG.matcher(s);
                int last = 0;
                while (mt.find()) {
                    String kind = mt.group(1);
                    List<String> refs = media.get(kind + "s");
                    if (refs == null) {
                        continue;
                    }
                    int k = used.getOrDefault(kind, 0);
                    if (k >= refs.size()) {
                        if (strict) {
                            throw new RowException("message " + i + " (" + m.role + ") has <" + kind + "> number "
                                    + (k + 1) + " but " + kind + "s holds " + refs.size());
                        }
                        continue;
                    }
                    if (mt.start() > last) {
                        parts.add(ContentPart.text(s.substring(last, mt.start())));
                    }
                    parts.add(new ContentPart(kind, refs.get(k)));
                    used.put(kind, k + 1);
                    last = mt.end();
                }
                if (last < s.length() || (last == 0 && s.isEmpty())) {
                    parts.add(ContentPart.text(s.substring(last)));
                }
            }
            m.parts = parts;
            result.add(m);
        }
        if (strict) {
            List<ContentPart> leftovers = new ArrayList<>();
            for (Map.Entry<String, List<String>> e : media.entrySet()) {
                String kind = e.getKey().substring(0, e.getKey().length() - 1);
                List<String> refs = e.getValue();
                for (int k = used.getOrDefault(kind, 0); k < refs.size(); k++) {
                    leftovers.add(new ContentPart(kind, refs.get(k)));
                }
            }
            if (!leftovers.isEmpty()) {
                Msg target = result.stream()
                        .filter(m -> !"system".equals(m.role))
                        .findFirst()
                        .orElseThrow(() -> new RowException("media given but no message to hold them"));
                leftovers.addAll(target.parts);
                target.parts = leftovers;
            }
        }
        return result.stream().map(Msg::toMessage).toList();
    }

    // ---- checks

    /** ms-swift's message rules: one leading system message, no two user or assistant turns in a row, tool after a tool call. */
    private static void validate(List<ChatMessage> messages, String column) {
        if (messages.isEmpty()) {
            throw new RowException(column + " is empty");
        }
        if (messages.size() == 1 && "system".equals(messages.get(0).role())) {
            throw new RowException(column + " holds only a system message");
        }
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            String prev = i == 0 ? null : messages.get(i - 1).role();
            switch (m.role()) {
                case "system" -> {
                    if (i > 0) {
                        throw new RowException(column + ": role 'system' out of place at message " + i
                                + "; only the first message may be a system message");
                    }
                }
                case "user" -> {
                    if ("user".equals(prev)) {
                        throw new RowException(
                                column + ": role 'user' out of place at message " + i + ": two user messages in a row");
                    }
                }
                case "assistant" -> {
                    if ("assistant".equals(prev)) {
                        throw new RowException(column + ": role 'assistant' out of place at message " + i
                                + ": two assistant messages in a row");
                    }
                    if (m.content().stream()
                                    .allMatch(p -> p.isText() && p.value().isEmpty())
                            && m.toolCalls().isEmpty()) {
                        throw new RowException(column + ": assistant message " + i + " is empty");
                    }
                }
                case "tool" -> {
                    boolean afterCall = i > 0
                            && ("tool".equals(prev)
                                    || !messages.get(i - 1).toolCalls().isEmpty());
                    if (!afterCall) {
                        throw new RowException(column + ": role 'tool' out of place at message " + i
                                + ": a tool result must follow an assistant tool call");
                    }
                }
                default -> throw new RowException(column + ": unknown role '" + m.role() + "' at message " + i);
            }
        }
    }

    private static List<ChatMessage> rejectedTail(List<ChatMessage> chosen, List<ChatMessage> rejected) {
        int cp = promptLength(chosen);
        int rp = promptLength(rejected);
        if (cp == chosen.size()) {
            throw new RowException("rejected_messages is given but messages does not end with an assistant message");
        }
        if (rp == rejected.size()) {
            throw new RowException("rejected_messages does not end with an assistant message");
        }
        for (int i = 0; i < Math.max(cp, rp); i++) {
            if (i >= cp || i >= rp || !chosen.get(i).equals(rejected.get(i))) {
                throw new RowException("rejected_messages differs from messages at message " + i
                        + ", before the last assistant turn; only the final assistant message(s) may differ");
            }
        }
        return rejected.subList(rp, rejected.size());
    }

    private static int promptLength(List<ChatMessage> messages) {
        int n = messages.size();
        while (n > 0 && "assistant".equals(messages.get(n - 1).role())) {
            n--;
        }
        return n;
    }

    private static Boolean label(JsonNode node) {
        if (node.isBoolean()) {
            return node.asBoolean();
        }
        if (node.isIntegralNumber() && (node.asLong() == 0 || node.asLong() == 1)) {
            return node.asLong() == 1;
        }
        if (node.isTextual()) {
            return switch (node.asText().strip().toLowerCase(Locale.ROOT)) {
                case "true", "1" -> Boolean.TRUE;
                case "false", "0" -> Boolean.FALSE;
                default -> null;
            };
        }
        return null; // a classification or regression label: kept in extra
    }

    // ---- helpers

    /** A column that may be JSON in a string (CSV cells, ms-swift's tools column). */
    private static JsonNode structured(JsonNode node, String column) {
        if (node.isTextual()) {
            String s = node.asText().strip();
            if (!looksLikeJson(s)) {
                throw new RowException(column + " must be a list (or a JSON string of one), found " + abbreviate(node));
            }
            return parseJson(s, column);
        }
        return node;
    }

    private static boolean looksLikeJson(String s) {
        String t = s.strip();
        return t.startsWith("[") || t.startsWith("{");
    }

    private static JsonNode parseJson(String s, String column) {
        try {
            return MAPPER.readTree(s);
        } catch (JsonProcessingException e) {
            throw new RowException(column + " holds bad JSON: " + e.getOriginalMessage());
        }
    }

    private static String text(JsonNode node, String column) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isNumber() || node.isBoolean()) {
            return node.asText();
        }
        throw new RowException(column + " must be a string, found " + abbreviate(node));
    }

    private static JsonNode first(JsonNode node, String... keys) {
        for (String k : keys) {
            JsonNode v = node.get(k);
            if (v != null && !v.isNull()) {
                return v;
            }
        }
        return null;
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    static String abbreviate(JsonNode node) {
        String s = node == null ? "nothing" : node.toString();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
