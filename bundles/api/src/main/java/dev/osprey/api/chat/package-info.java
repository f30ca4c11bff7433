/**
 * Conversations (text, images, video, audio, tools), the chat templates that turn them into model input with a loss
 * mask, and the {@link dev.osprey.api.chat.PromptEncoder} that applies them.
 */
@Version("1.1.0")
@Export
package dev.osprey.api.chat;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
