package dev.osprey.chat;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.Segment;
import dev.osprey.checkpoint.GenerationConfig;
import dev.osprey.checkpoint.TokenizerConfig;

/**
 * The platform's {@link PromptEncoder}: a chat template (chosen by {@link ChosenTemplate}) renders segments
 * and {@link ChatEncoder} tokenizes them. Thread-safe as far as the template and the tokenizer are (a Jinja
 * template renders one conversation at a time).
 */
public final class ChatPromptEncoder implements PromptEncoder {

    private final ChatTemplate template;
    private final String origin;
    private final String noTemplate;
    private final ChatEncoder encoder;
    private final OptionalInt bosTokenId;
    private final boolean acceptsMedia;
    /** The placeholder text the template writes per media type ({@code image -> <|image_pad|>}); empty for none. */
    private final Map<String, String> mediaPlaceholders;

    /**
     * @param template the template, or null when there is none
     * @param origin the precedence step that chose it ({@code PromptEncoder.FROM_*}), or empty for none
     * @param noTemplate why there is no template (naming {@code --template}), the error of encoding a conversation without one
     * @param bosTokenId the id {@link #encodeText} starts with, or empty for none
     * @param acceptsMedia true when the model reads media parts (a multimodal family); text-only models refuse them
     */
    public ChatPromptEncoder(
            ChatTemplate template,
            String origin,
            String noTemplate,
            ChatEncoder encoder,
            OptionalInt bosTokenId,
            boolean acceptsMedia) {
        this(template, origin, noTemplate, encoder, bosTokenId, acceptsMedia, Map.of());
    }

    private ChatPromptEncoder(
            ChatTemplate template,
            String origin,
            String noTemplate,
            ChatEncoder encoder,
            OptionalInt bosTokenId,
            boolean acceptsMedia,
            Map<String, String> mediaPlaceholders) {
        this.mediaPlaceholders = Map.copyOf(mediaPlaceholders);
        this.template = template;
        this.origin = template == null ? "" : Objects.requireNonNull(origin, "origin");
        this.noTemplate = noTemplate;
        this.encoder = Objects.requireNonNull(encoder, "encoder");
        this.bosTokenId = bosTokenId;
        this.acceptsMedia = acceptsMedia;
    }

    /**
     * A text-only model's encoder, its BOS token as its folder's tokenizer_config.json and generation_config.json give it.
     *
     * @param chosen the template, or null with {@code noTemplate} saying why there is none
     */
    public static ChatPromptEncoder of(
            ChosenTemplate chosen,
            String noTemplate,
            HuggingFaceTokenizer tokenizer,
            TokenizerConfig tokenizerConfig,
            GenerationConfig generationConfig) {
        ChatEncoder encoder = new ChatEncoder(tokenizer);
        return new ChatPromptEncoder(
                chosen == null ? null : chosen.template(),
                chosen == null ? "" : chosen.origin(),
                noTemplate,
                encoder,
                bosTokenId(encoder, tokenizerConfig, generationConfig),
                false);
    }

    /**
     * The encoder of a model folder read without the platform (tests, plain programs): its own
     * {@code chat_template}, the third step of the precedence, and no other.
     */
    public static ChatPromptEncoder ownTemplate(
            HuggingFaceTokenizer tokenizer, TokenizerConfig tokenizerConfig, GenerationConfig generationConfig) {
        ChosenTemplate own = tokenizerConfig.defaultChatTemplate().isEmpty()
                ? null
                : new ChosenTemplate(JinjaChatTemplate.from(tokenizerConfig), FROM_TOKENIZER_CONFIG, null);
        return of(
                own,
                tokenizerConfig.source() + " has no chat_template: pass --template",
                tokenizer,
                tokenizerConfig,
                generationConfig);
    }

    /**
     * This encoder with its template under the ms-swift agent template {@code name} ({@code --agent_template}); this
     * encoder itself for a blank name.
     *
     * @throws IllegalArgumentException for an unknown name, or when there is no chat template to apply it to
     */
    public ChatPromptEncoder withAgentTemplate(String name) {
        if (name == null || name.isBlank()) {
            return this;
        }
        if (template == null) {
            throw new IllegalArgumentException("--agent_template " + name + " needs a chat template: " + noTemplate);
        }
        return new ChatPromptEncoder(
                AgentChatTemplate.wrap(template, name),
                origin,
                noTemplate,
                encoder,
                bosTokenId,
                acceptsMedia,
                mediaPlaceholders);
    }

    /**
     * This encoder for a multimodal model whose chat template writes {@code placeholders} (by content part type:
     * Qwen2-VL's {@code image -> <|image_pad|>}, {@code video -> <|video_pad|>}) for its media parts: the rendered
     * text is split there and each part becomes a {@code MediaInput} at its position in {@link EncodedPrompt}.
     *
     * @param placeholders non-empty
     */
    public ChatPromptEncoder withMediaPlaceholders(Map<String, String> placeholders) {
        if (placeholders.isEmpty() || placeholders.values().stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("media placeholders must be given and non-empty: " + placeholders);
        }
        return new ChatPromptEncoder(template, origin, noTemplate, encoder, bosTokenId, true, placeholders);
    }

    /** The placeholder text the template writes per media type; empty for a text-only model. */
    public Map<String, String> mediaPlaceholders() {
        return mediaPlaceholders;
    }

    /**
     * {@code prompts} with the agent template {@code name}, for the platform's encoders; {@code prompts} itself for a
     * blank name.
     */
    public static PromptEncoder withAgentTemplate(PromptEncoder prompts, String name) {
        if (name == null || name.isBlank()) {
            return prompts;
        }
        if (prompts instanceof ChatPromptEncoder c) {
            return c.withAgentTemplate(name);
        }
        throw new IllegalArgumentException(
                "--agent_template " + name + ": the model's prompt encoder (" + prompts + ") takes no agent template");
    }

    /** The BOS id a plain text starts with: when {@code add_bos_token} is set, generation_config.json's id, else the bos_token's. */
    public static OptionalInt bosTokenId(
            ChatEncoder encoder, TokenizerConfig tokenizerConfig, GenerationConfig generationConfig) {
        if (!tokenizerConfig.addBosToken().orElse(false)) {
            return OptionalInt.empty();
        }
        if (generationConfig.bosTokenId().isPresent()) {
            return OptionalInt.of(generationConfig.bosTokenId().get());
        }
        int[] ids = tokenizerConfig.bosToken().map(encoder::tokenize).orElse(new int[0]);
        return ids.length == 1 ? OptionalInt.of(ids[0]) : OptionalInt.empty();
    }

    @Override
    public Optional<ChatTemplate> template() {
        return Optional.ofNullable(template);
    }

    /** The id {@link #encodeText} starts with, when the tokenizer adds one. */
    public OptionalInt bosTokenId() {
        return bosTokenId;
    }

    @Override
    public String templateOrigin() {
        return origin;
    }

    @Override
    public EncodedPrompt encode(Conversation conversation, RenderOptions options) {
        if (template == null) {
            throw new IllegalArgumentException(noTemplate);
        }
        List<ContentPart> media = MediaSegments.parts(conversation);
        if (!media.isEmpty() && !acceptsMedia) {
            ContentPart first = media.get(0);
            throw new IllegalArgumentException(
                    "multimodal input needs a multimodal model bundle: this model is text-only" + " (message has "
                            + first.type() + ")");
        }
        List<Segment> segments;
        if (template instanceof JinjaChatTemplate) {
            synchronized (template) { // one Jinja interpreter per template
                segments = template.render(conversation, options);
            }
        } else {
            segments = template.render(conversation, options);
        }
        // a built-in template places media segments itself; a model's own Jinja template writes placeholders
        if (!media.isEmpty()
                && !mediaPlaceholders.isEmpty()
                && segments.stream().noneMatch(x -> Segment.MEDIA.equals(x.kind()))) {
            segments = MediaSegments.split(segments, media, mediaPlaceholders);
        }
        return encoder.encode(segments, acceptsMedia);
    }

    /** Rendered as one trainable stretch: a prompt needs no labels, and a Jinja template then renders once, not per turn. */
    @Override
    public int[] forGeneration(Conversation conversation, Map<String, Object> templateArgs) {
        return encode(conversation, new RenderOptions(true, RenderOptions.ALL, templateArgs))
                .inputIds();
    }

    @Override
    public int[] encodeText(String text) {
        int[] ids = encoder.tokenize(text);
        if (bosTokenId.isEmpty() || (ids.length > 0 && ids[0] == bosTokenId.getAsInt())) {
            return ids;
        }
        int[] withBos = new int[ids.length + 1];
        withBos[0] = bosTokenId.getAsInt();
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    @Override
    public String toString() {
        return "ChatPromptEncoder[" + (template == null ? "no template" : template.name() + " from " + origin) + "]";
    }
}
