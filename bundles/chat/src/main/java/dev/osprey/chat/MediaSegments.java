package dev.osprey.chat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.Segment;

/**
 * Splits a rendered conversation at the placeholders a multimodal model's chat template writes for its media parts
 * (Qwen2-VL's {@code <|image_pad|>} and {@code <|video_pad|>}): each placeholder becomes a media segment holding the
 * next part of its type, in the order the conversation has them, which the model's media step later expands into
 * the right number of its own tokens.
 */
final class MediaSegments {

    private MediaSegments() {}

    /** The conversation's media parts (not text), in message order. */
    static List<ContentPart> parts(Conversation conversation) {
        List<ContentPart> parts = new ArrayList<>();
        for (ChatMessage m : conversation.messages()) {
            for (ContentPart p : m.content()) {
                if (!p.isText()) {
                    parts.add(p);
                }
            }
        }
        return parts;
    }

    /**
     * {@code segments} with each placeholder cut out of its text segment and replaced by a media segment.
     *
     * @param placeholders the placeholder text by content part type ({@code image}, {@code video})
     * @throws IllegalArgumentException when the template wrote more or fewer placeholders of a type than the
     *         conversation has parts of it, or a part's type has no placeholder
     */
    static List<Segment> split(List<Segment> segments, List<ContentPart> parts, Map<String, String> placeholders) {
        Map<String, Deque<ContentPart>> pending = new LinkedHashMap<>();
        for (ContentPart p : parts) {
            if (!placeholders.containsKey(p.type())) {
                throw new IllegalArgumentException("the model takes no " + p.type() + " input (it reads "
                        + placeholders.keySet() + "): " + p.type() + " " + brief(p.value()));
            }
            pending.computeIfAbsent(p.type(), t -> new ArrayDeque<>()).add(p);
        }
        Map<String, Integer> written = new LinkedHashMap<>();
        List<Segment> out = new ArrayList<>();
        for (Segment s : segments) {
            if (!Segment.TEXT.equals(s.kind())) {
                out.add(s);
                continue;
            }
            String text = s.text();
            int at = 0;
            while (true) {
                int next = -1;
                String type = null;
                for (Map.Entry<String, String> e : placeholders.entrySet()) {
                    int i = text.indexOf(e.getValue(), at);
                    if (i >= 0 && (next < 0 || i < next)) {
                        next = i;
                        type = e.getKey();
                    }
                }
                if (next < 0) {
                    break;
                }
                if (next > at) {
                    out.add(Segment.text(text.substring(at, next), s.trainable()));
                }
                written.merge(type, 1, Integer::sum);
                Deque<ContentPart> queue = pending.get(type);
                if (queue == null || queue.isEmpty()) {
                    throw mismatch(type, placeholders, written, parts);
                }
                out.add(Segment.media(queue.poll()));
                at = next + placeholders.get(type).length();
            }
            if (at < text.length()) {
                out.add(Segment.text(text.substring(at), s.trainable()));
            }
        }
        for (Map.Entry<String, Deque<ContentPart>> e : pending.entrySet()) {
            if (!e.getValue().isEmpty()) {
                throw mismatch(e.getKey(), placeholders, written, parts);
            }
        }
        return out;
    }

    private static IllegalArgumentException mismatch(
            String type, Map<String, String> placeholders, Map<String, Integer> written, List<ContentPart> parts) {
        long given = parts.stream().filter(p -> p.type().equals(type)).count();
        return new IllegalArgumentException("the chat template wrote " + written.getOrDefault(type, 0) + " "
                + placeholders.get(type) + " placeholder(s) where the conversation has " + given + " " + type
                + " part(s); the model's template must write one per part (or the text holds the placeholder itself)");
    }

    private static String brief(String value) {
        return value.length() <= 80 ? value : value.substring(0, 77) + "...";
    }
}
