package dev.osprey.train.task;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.dataset.DatasetException;
import dev.osprey.dataset.DatasetRow;

/**
 * One row of an embedding or reranker dataset in ms-swift's formats: an anchor (the query), its positive and
 * its hard negatives, from {@code messages} + {@code positive_messages} + {@code negative_messages} (lists of
 * message lists), or from {@code query} + {@code response} + {@code rejected_response} (a text or a list of
 * texts); {@code label} for {@code cosine_similarity} rows. A side of several messages is their texts joined
 * by newlines.
 *
 * @param anchor the query's text
 * @param positives the positives' texts (an embedding row has one; a reranker row may have several, each ranked
 *        against every hard negative)
 * @param negatives the hard negatives' texts
 * @param label the row's {@code label}, NaN when it has none
 * @param source {@code file:line}
 */
public record PairExample(String anchor, List<String> positives, List<String> negatives, float label, String source) {

    /** The texts of a row. */
    public static PairExample of(DatasetRow row) {
        String source = row.source();
        Map<String, Object> extra = row.extra();
        String anchor;
        List<String> positives;
        List<String> negatives = new ArrayList<>();
        if (extra.containsKey("positive_messages")) {
            anchor = join(row.conversation().messages());
            positives = sides(extra.get("positive_messages"), "positive_messages", source);
            if (extra.containsKey("negative_messages")) {
                negatives.addAll(sides(extra.get("negative_messages"), "negative_messages", source));
            }
        } else {
            List<ChatMessage> prompt = row.prompt();
            List<ChatMessage> answer = row.completion();
            if (prompt.isEmpty() || answer.isEmpty()) {
                throw new DatasetException(
                        source,
                        "an embedding or reranker row needs query and response (or messages"
                                + " with positive_messages)");
            }
            anchor = join(prompt);
            positives = List.of(join(answer));
            row.rejected().ifPresent(r -> negatives.add(join(r)));
            if (extra.get("rejected_response") instanceof List<?> list) {
                list.forEach(t -> negatives.add(String.valueOf(t)));
            }
        }
        Object label = extra.containsKey("label")
                ? extra.get("label")
                : row.label().map(b -> b ? 1 : 0).orElse(null);
        float value = Float.NaN;
        if (label instanceof Number n) {
            value = n.floatValue();
        } else if (label != null) {
            try {
                value = Float.parseFloat(String.valueOf(label).strip());
            } catch (NumberFormatException e) {
                throw new DatasetException(source, "label '" + label + "' is not a number");
            }
        }
        return new PairExample(anchor, List.copyOf(positives), List.copyOf(negatives), value, source);
    }

    /** An embedding row's one positive. */
    public String positive() {
        if (positives.size() != 1) {
            throw new DatasetException(
                    source,
                    "an embedding row takes one positive, found " + positives.size()
                            + " (positive_messages holds one list of messages)");
        }
        return positives.get(0);
    }

    /** An embedding row's texts as the model reads them (anchor, positive, negatives), each cut to {@code maxLength} tokens. */
    public EncodedGroup encode(Function<String, int[]> tokenize, int maxLength) {
        List<int[]> out = new ArrayList<>();
        out.add(cut(tokenize.apply(anchor), maxLength));
        out.add(cut(tokenize.apply(positive()), maxLength));
        for (String n : negatives) {
            out.add(cut(tokenize.apply(n), maxLength));
        }
        return new EncodedGroup(out, 1, label, source);
    }

    private static int[] cut(int[] ids, int maxLength) {
        return ids.length <= maxLength ? ids : Arrays.copyOf(ids, maxLength);
    }

    private static String join(List<ChatMessage> messages) {
        StringBuilder text = new StringBuilder();
        for (ChatMessage m : messages) {
            if ("system".equals(m.role()) && messages.size() > 1) {
                continue; // the template's system prompt is no part of the text embedded
            }
            text.append(text.length() == 0 ? "" : "\n").append(m.text());
        }
        return text.toString();
    }

    /** The texts of a list of message lists ({@code [[{"role": "user", "content": "..."}], ...]}). */
    private static List<String> sides(Object value, String column, String source) {
        if (!(value instanceof List<?> lists)) {
            throw new DatasetException(source, column + " must be a list of message lists");
        }
        List<String> texts = new ArrayList<>();
        for (Object side : lists) {
            if (!(side instanceof List<?> messages) || messages.isEmpty()) {
                throw new DatasetException(source, column + " must be a list of message lists, found " + side);
            }
            StringBuilder text = new StringBuilder();
            for (Object m : messages) {
                if (!(m instanceof Map<?, ?> msg) || !(msg.get("content") instanceof String content)) {
                    throw new DatasetException(source, column + ": a message needs a text 'content', found " + m);
                }
                if (!"system".equals(msg.get("role"))) {
                    text.append(text.length() == 0 ? "" : "\n").append(content);
                }
            }
            texts.add(text.toString());
        }
        return texts;
    }
}
