package dev.osprey.export.impl;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.Segment;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.TextTokenizer;

/**
 * An Ollama {@code Modelfile} for a model, as {@code swift export --to_ollama} writes one: {@code FROM} the weights,
 * a {@code TEMPLATE} in Ollama's Go template syntax derived from the model's own chat template, a {@code PARAMETER
 * stop} per string that ends the assistant's turn, and the sampling defaults of its {@code generation_config.json}.
 *
 * <p>The template is not translated by hand per family: the model's chat template renders conversations whose texts
 * are markers, and the markers become Ollama's {@code {{ .System }}}, {@code {{ .Prompt }}} and {@code {{ .Response
 * }}}. What the template writes before a user turn without a system message (a default system prompt, say) becomes
 * the {@code {{ else }}} branch.
 */
final class OllamaModelfile {

    private static final String SYSTEM = "OspreyMarkerSystem7f3a";
    private static final String PROMPT = "OspreyMarkerPrompt7f3a";
    private static final String RESPONSE = "OspreyMarkerResponse7f3a";

    private OllamaModelfile() {}

    /** The Modelfile's text, its {@code FROM} being {@code from} (a GGUF file or a model folder). */
    static String of(String from, LoadedModel model) {
        StringBuilder text = new StringBuilder("FROM ").append(from).append('\n');
        text.append("TEMPLATE \"\"\"").append(template(model)).append("\"\"\"\n");
        for (String stop : stops(model)) {
            text.append("PARAMETER stop ").append(quoted(stop)).append('\n');
        }
        model.generation()
                .temperature()
                .ifPresent(t -> text.append("PARAMETER temperature ").append(t).append('\n'));
        model.generation()
                .topP()
                .ifPresent(p -> text.append("PARAMETER top_p ").append(p).append('\n'));
        model.generation()
                .topK()
                .ifPresent(k -> text.append("PARAMETER top_k ").append(k).append('\n'));
        text.append("PARAMETER num_ctx ")
                .append(model.generation().contextLength())
                .append('\n');
        return text.toString();
    }

    /** The Go template of one exchange, or the bare prompt for a model without a chat template. */
    static String template(LoadedModel model) {
        Optional<ChatTemplate> chat = model.prompts().template();
        if (chat.isEmpty()) {
            return "{{ .Prompt }}{{ .Response }}";
        }
        TextTokenizer tokenizer = model.tokenizer().orElse(null);
        String withSystem = render(chat.get(), tokenizer, true, false);
        String withoutSystem = render(chat.get(), tokenizer, false, false);
        String exchange = render(chat.get(), tokenizer, true, true);
        int prompt = withSystem.indexOf(PROMPT);
        int response = exchange.indexOf(RESPONSE);
        if (prompt < 0 || response < 0 || withoutSystem.indexOf(PROMPT) < 0) {
            throw new IllegalArgumentException(
                    "the chat template '" + chat.get().name()
                            + "' does not write a user message's text as it is; cannot derive an Ollama TEMPLATE from it");
        }
        String beforeSystemPrompt = go(withSystem.substring(0, prompt));
        String beforePrompt = withoutSystem.substring(0, withoutSystem.indexOf(PROMPT));
        String header = withSystem.substring(prompt + PROMPT.length());
        String afterResponse = exchange.substring(response + RESPONSE.length());
        return "{{ if .System }}" + beforeSystemPrompt + "{{ else }}" + beforePrompt + "{{ end }}{{ .Prompt }}" + header
                + "{{ .Response }}" + afterResponse;
    }

    /** A system (or not) and user message, with the generation prompt, or followed by an assistant's answer. */
    private static String render(ChatTemplate chat, TextTokenizer tokenizer, boolean system, boolean answered) {
        List<ChatMessage> messages = new ArrayList<>();
        if (system) {
            messages.add(ChatMessage.of("system", SYSTEM));
        }
        messages.add(ChatMessage.of("user", PROMPT));
        if (answered) {
            messages.add(ChatMessage.of("assistant", RESPONSE));
        }
        StringBuilder text = new StringBuilder();
        for (Segment s : chat.render(
                Conversation.of(messages), new RenderOptions(!answered, RenderOptions.ALL_ASSISTANT, Map.of()))) {
            if (Segment.TOKENS.equals(s.kind())) {
                if (tokenizer == null) {
                    throw new IllegalArgumentException("the chat template writes token ids and the model has no"
                            + " tokenizer to spell them for an Ollama TEMPLATE");
                }
                text.append(tokenizer.decode(s.tokenIds(), false));
            } else if (Segment.TEXT.equals(s.kind())) {
                text.append(s.text());
            }
        }
        return text.toString();
    }

    private static String go(String text) {
        return text.replace(SYSTEM, "{{ .System }}");
    }

    /** The template's stop strings and the tokenizer's spelling of each end-of-sequence id. */
    private static Set<String> stops(LoadedModel model) {
        Set<String> stops = new LinkedHashSet<>();
        model.prompts().template().ifPresent(t -> stops.addAll(t.stopStrings()));
        model.tokenizer()
                .ifPresent(tokenizer -> model.generation().eosTokenIds().stream()
                        .sorted()
                        .map(id -> tokenizer.decode(new int[] {id}, false))
                        .filter(s -> !s.isBlank())
                        .forEach(stops::add));
        return stops;
    }

    private static String quoted(String text) {
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }
}
