/**
 * Conversations (text, images, video, audio, tools) and the chat templates that turn them into model input with a loss mask.
 */
@Version("1.0.0")
@Export
package dev.osprey.api.chat;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
