package dev.osprey.align.rlhf;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;

/**
 * A prompt's messages with each media part's relative path made absolute against its dataset file's folder, as the
 * training step reads them: the reward functions (a reward model among them) see no dataset file, so a relative
 * {@code images/red.png} would otherwise be looked up in the working folder.
 */
final class PromptMediaPaths {

    private PromptMediaPaths() {}

    /** @param folder the dataset file's folder, or null when the prompt has none (then nothing changes) */
    static List<ChatMessage> resolved(List<ChatMessage> messages, Path folder) {
        if (folder == null) {
            return messages;
        }
        List<ChatMessage> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            List<ContentPart> parts = new ArrayList<>(m.content().size());
            boolean changed = false;
            for (ContentPart p : m.content()) {
                Path relative = p.isText() ? null : relativePath(p.value());
                if (relative != null) {
                    parts.add(new ContentPart(
                            p.type(), folder.resolve(relative).normalize().toString()));
                    changed = true;
                } else {
                    parts.add(p);
                }
            }
            out.add(changed ? new ChatMessage(m.role(), parts, m.toolCalls(), m.toolCallId(), m.reasoning()) : m);
        }
        return out;
    }

    /** The reference as a relative local path; null for a URL, a data URI or an absolute path. */
    private static Path relativePath(String reference) {
        String lower = reference.strip().toLowerCase(Locale.ROOT);
        if (lower.isEmpty() || lower.matches("^[a-z][a-z0-9+.-]*:.*")) { // data:, http(s):, file:
            return null;
        }
        try {
            Path path = Path.of(reference.strip());
            return path.isAbsolute() ? null : path;
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
