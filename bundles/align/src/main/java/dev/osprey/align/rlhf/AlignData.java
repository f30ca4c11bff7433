package dev.osprey.align.rlhf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.dataset.BadRows;
import dev.osprey.dataset.DatasetException;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.media.MediaLoader;
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.train.sft.ExampleMedia;
import dev.osprey.train.sft.SftExample;

/**
 * Dataset rows encoded for the alignment methods through the chat template, with labels on the last
 * assistant turn only (what TRL's trainers score): preference pairs, KTO examples with their mismatched
 * KL pairs, and GRPO prompts. For a multimodal model a row's images and videos (in its prompt, so the chosen and
 * the rejected answer, and KTO's mismatched pair, share them) go through the model's media step as in SFT.
 */
public final class AlignData {

    /** A chosen and a rejected answer to one prompt. */
    public record Pair(SftExample chosen, SftExample rejected, String source) {}

    /**
     * One KTO example.
     *
     * @param example the prompt and its answer
     * @param mismatched the same prompt with another row's answer, for the KL estimate
     * @param desirable the row's {@code label}
     */
    public record KtoExample(SftExample example, SftExample mismatched, boolean desirable, String source) {}

    /**
     * A GRPO prompt.
     *
     * @param promptIds the prompt rendered with the generation prompt
     * @param messages the prompt messages, for reward functions
     * @param columns the row's other columns (e.g. {@code solution})
     * @param media the prompt's images or videos as the model's processor made them (their tokens are in
     *        {@code promptIds}), or null
     * @param mediaTokens the placeholder ids the processor put in for them (e.g. {@code <|image_pad|>}): a completion
     *        must not hold one, since it would claim features the rollout has none for
     * @param attentionBlocks per prompt token, the bidirectional blocks the processor gave the prompt (a prefix-LM
     *        family's prefix, PaliGemma's), or null for a causal prompt
     */
    public record Prompt(
            int[] promptIds,
            List<ChatMessage> messages,
            Map<String, Object> columns,
            String source,
            ExampleMedia media,
            Set<Integer> mediaTokens,
            int[] attentionBlocks) {

        public Prompt {
            mediaTokens = Set.copyOf(mediaTokens);
        }

        public Prompt(
                int[] promptIds,
                List<ChatMessage> messages,
                Map<String, Object> columns,
                String source,
                ExampleMedia media,
                Set<Integer> mediaTokens) {
            this(promptIds, messages, columns, source, media, mediaTokens, null);
        }

        /**
         * The blocks of this prompt followed by a completion of {@code completion} tokens, which is read causally
         * (-1), or null for a causal prompt.
         */
        public int[] attentionBlocksWith(int completion) {
            if (attentionBlocks == null) {
                return null;
            }
            int[] blocks = Arrays.copyOf(attentionBlocks, attentionBlocks.length + completion);
            Arrays.fill(blocks, attentionBlocks.length, blocks.length, -1);
            return blocks;
        }

        public Prompt(int[] promptIds, List<ChatMessage> messages, Map<String, Object> columns, String source) {
            this(promptIds, messages, columns, source, null, Set.of());
        }
    }

    private final PromptEncoder prompts;
    private final MediaProcessor media;
    private final int maxLength;
    private final SftExample.Truncation truncation;
    private final BadRows badRows;

    /**
     * @param badRows what happens to a row that cannot become an example (no answer, no label, nothing to
     *        train on): fatal, naming {@code file:line}, or skipped and counted ({@code --strict false})
     * @param media the model's media step, or null for a text model (a row with images is then an error naming it)
     */
    public AlignData(
            PromptEncoder prompts,
            MediaProcessor media,
            int maxLength,
            SftExample.Truncation truncation,
            BadRows badRows) {
        this.prompts = prompts;
        this.media = media;
        this.maxLength = maxLength;
        this.truncation = truncation;
        this.badRows = badRows;
    }

    /** Bad rows fail, as {@code --strict true}. */
    public AlignData(PromptEncoder prompts, int maxLength, SftExample.Truncation truncation) {
        this(prompts, null, maxLength, truncation, new BadRows(false, 0));
    }

    /** A text model's rows (no media step). */
    public AlignData(PromptEncoder prompts, int maxLength, SftExample.Truncation truncation, BadRows badRows) {
        this(prompts, null, maxLength, truncation, badRows);
    }

    /**
     * @throws DatasetException naming the first row without a rejected answer (unless bad rows are skipped)
     */
    public List<Pair> pairs(List<DatasetRow> rows) {
        List<Pair> pairs = new ArrayList<>();
        for (DatasetRow row : rows) {
            badRows.attempt(() -> {
                        Conversation rejected = row.rejectedConversation()
                                .orElseThrow(
                                        () -> new DatasetException(
                                                row.source(),
                                                "no rejected answer; preference training needs rejected_response, rejected_messages or chosen/rejected columns"));
                        requireAnswer(row);
                        Optional<SftExample> c = encode(row.conversation(), row.source());
                        Optional<SftExample> r = encode(rejected, row.source());
                        return c.isPresent() && r.isPresent()
                                ? Optional.of(new Pair(c.get(), r.get(), row.source()))
                                : Optional.empty();
                    })
                    .ifPresent(pairs::add);
        }
        return pairs;
    }

    /**
     * KTO examples; each row's mismatched pair takes the answer of the next usable row (the last row the
     * first's), as TRL pairs prompts with shifted completions.
     *
     * @throws DatasetException naming the first row without a {@code label} (unless bad rows are skipped)
     */
    public List<KtoExample> kto(List<DatasetRow> rows) {
        // bad rows go first, so that no example borrows the answer of a row that is skipped
        List<DatasetRow> usable = new ArrayList<>();
        for (DatasetRow row : rows) {
            badRows.attempt(() -> {
                        row.label()
                                .orElseThrow(
                                        () -> new DatasetException(
                                                row.source(),
                                                "no 'label' (true for a desirable answer, false for an undesirable one); --rlhf_type kto needs it on every row"));
                        requireAnswer(row);
                        return Optional.of(row);
                    })
                    .ifPresent(usable::add);
        }
        List<KtoExample> out = new ArrayList<>();
        for (int i = 0; i < usable.size(); i++) {
            DatasetRow row = usable.get(i);
            DatasetRow next = usable.get((i + 1) % usable.size());
            List<ChatMessage> mismatched = new ArrayList<>(row.prompt());
            mismatched.addAll(next.completion());
            badRows.attempt(() -> {
                        Optional<SftExample> e = encode(row.conversation(), row.source());
                        Optional<SftExample> m = encode(
                                new Conversation(mismatched, row.conversation().tools()), row.source());
                        return e.isPresent() && m.isPresent()
                                ? Optional.of(new KtoExample(
                                        e.get(), m.get(), row.label().get(), row.source()))
                                : Optional.empty();
                    })
                    .ifPresent(out::add);
        }
        if (out.stream().noneMatch(KtoExample::desirable) && out.stream().noneMatch(k -> !k.desirable())) {
            throw new IllegalArgumentException("no KTO rows left to train on");
        }
        return out;
    }

    /** GRPO prompts: each row's messages before its trailing assistant answer (the answer, if any, is not used). */
    public List<Prompt> prompts(List<DatasetRow> rows) {
        List<Prompt> out = new ArrayList<>();
        for (DatasetRow row : rows) {
            badRows.attempt(() -> prompt(row)).ifPresent(out::add);
        }
        return out;
    }

    /** One row's prompt; empty when {@link SftExample.Truncation#DELETE} drops it for being too long. */
    private Optional<Prompt> prompt(DatasetRow row) {
        List<ChatMessage> prompt = row.prompt();
        if (prompt.isEmpty()) {
            throw new DatasetException(row.source(), "no prompt (a user message) to generate from");
        }
        EncodedPrompt encoded = prompts.encode(
                new Conversation(prompt, row.conversation().tools()),
                new RenderOptions(true, RenderOptions.LAST_ROUND, Map.of()));
        if (!encoded.media().isEmpty()) {
            return mediaPrompt(row, prompt, encoded);
        }
        int[] ids = encoded.inputIds();
        if (ids.length > maxLength) {
            if (truncation == SftExample.Truncation.DELETE) {
                return Optional.empty();
            }
            ids = truncation == SftExample.Truncation.LEFT
                    ? Arrays.copyOfRange(ids, ids.length - maxLength, ids.length)
                    : Arrays.copyOf(ids, maxLength);
        }
        return Optional.of(new Prompt(ids, prompt, row.extra(), row.source()));
    }

    /**
     * A prompt with images or videos through the model's media step (paths relative to the dataset file); never cut,
     * since its tokens and pixels must agree: too long, it is dropped with {@link SftExample.Truncation#DELETE} and an
     * error naming the row otherwise.
     */
    private Optional<Prompt> mediaPrompt(DatasetRow row, List<ChatMessage> prompt, EncodedPrompt encoded) {
        if (media == null) {
            throw new DatasetException(row.source(), "the row has images or videos, but the model reads text only");
        }
        try (NDManager scratch = NDManager.newBaseManager()) {
            MediaProcessor.Processed processed =
                    media.process(encoded, new MediaLoader(SftExample.datasetFolder(row.source())), scratch);
            int[] ids = processed.inputIds();
            if (ids.length > maxLength) {
                if (truncation == SftExample.Truncation.DELETE) {
                    return Optional.empty();
                }
                throw new DatasetException(
                        row.source(),
                        "the prompt is " + ids.length + " tokens with its media, over --max_length " + maxLength
                                + "; a prompt with images is not cut (use --truncation_strategy delete or a larger"
                                + " --max_length)");
            }
            Set<Integer> placeholders = new HashSet<>();
            Arrays.stream(ids).forEach(placeholders::add);
            Arrays.stream(encoded.inputIds()).forEach(placeholders::remove); // left: the tokens the media brought
            placeholders.addAll(placeholderTokens()); // and those of the kinds this prompt has none of
            return Optional.of(new Prompt(
                    ids,
                    prompt,
                    row.extra(),
                    row.source(),
                    ExampleMedia.of(processed.media()),
                    placeholders,
                    processed.attentionBlocks()));
        } catch (DatasetException e) {
            throw e;
        } catch (RuntimeException e) { // an unreadable image, a template without placeholders
            throw new DatasetException(row.source(), e.getMessage());
        }
    }

    /** The ids of the model's media placeholders ({@code <|image_pad|>}, {@code <|video_pad|>}), BOS left out. */
    private Set<Integer> placeholderTokens() {
        Set<Integer> tokens = new HashSet<>();
        for (String text : media.placeholders().values()) {
            Arrays.stream(prompts.encodeText(text)).forEach(tokens::add);
        }
        Arrays.stream(prompts.encodeText("")).forEach(tokens::remove);
        return tokens;
    }

    private static void requireAnswer(DatasetRow row) {
        if (row.completion().isEmpty()) {
            throw new DatasetException(row.source(), "the conversation does not end with an assistant answer");
        }
    }

    /** Renders and tokenizes with labels on the last assistant turn; empty when truncation drops it. */
    private Optional<SftExample> encode(Conversation conversation, String source) {
        DatasetRow row = new DatasetRow(conversation, Optional.empty(), Optional.empty(), Map.of(), source);
        return SftExample.encode(row, prompts, media, maxLength, RenderOptions.LAST_ROUND, truncation);
    }
}
