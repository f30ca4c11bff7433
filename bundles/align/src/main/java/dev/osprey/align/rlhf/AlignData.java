package dev.osprey.align.rlhf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.dataset.BadRows;
import dev.osprey.dataset.DatasetException;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.train.sft.SftExample;

/**
 * Dataset rows encoded for the alignment methods through the chat template, with labels on the last
 * assistant turn only (what TRL's trainers score): preference pairs, KTO examples with their mismatched
 * KL pairs, and GRPO prompts.
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
     */
    public record Prompt(int[] promptIds, List<ChatMessage> messages, Map<String, Object> columns, String source) {}

    private final PromptEncoder prompts;
    private final int maxLength;
    private final SftExample.Truncation truncation;
    private final BadRows badRows;

    /**
     * @param badRows what happens to a row that cannot become an example (no answer, no label, nothing to
     *        train on): fatal, naming {@code file:line}, or skipped and counted ({@code --strict false})
     */
    public AlignData(PromptEncoder prompts, int maxLength, SftExample.Truncation truncation, BadRows badRows) {
        this.prompts = prompts;
        this.maxLength = maxLength;
        this.truncation = truncation;
        this.badRows = badRows;
    }

    /** Bad rows fail, as {@code --strict true}. */
    public AlignData(PromptEncoder prompts, int maxLength, SftExample.Truncation truncation) {
        this(prompts, maxLength, truncation, new BadRows(false, 0));
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
        int[] ids = prompts.encode(
                        new Conversation(prompt, row.conversation().tools()),
                        new RenderOptions(true, RenderOptions.LAST_ROUND, Map.of()))
                .inputIds();
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

    private static void requireAnswer(DatasetRow row) {
        if (row.completion().isEmpty()) {
            throw new DatasetException(row.source(), "the conversation does not end with an assistant answer");
        }
    }

    /** Renders and tokenizes with labels on the last assistant turn; empty when truncation drops it. */
    private Optional<SftExample> encode(Conversation conversation, String source) {
        DatasetRow row = new DatasetRow(conversation, Optional.empty(), Optional.empty(), Map.of(), source);
        return SftExample.encode(row, prompts, maxLength, RenderOptions.LAST_ROUND, truncation);
    }
}
