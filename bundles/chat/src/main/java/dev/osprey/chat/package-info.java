/**
 * Turning conversations into model input: {@link dev.osprey.chat.JinjaChatTemplate} renders a model's own
 * Hugging Face chat template, the built-in {@link dev.osprey.api.chat.ChatTemplate} services
 * ({@code chatml}, {@code qwen3}, {@code llama3}, {@code llama2}, {@code mistral}, {@code gemma},
 * {@code phi3}, {@code deepseek_r1}) render segments with trainable flags, and
 * {@link dev.osprey.chat.ChatEncoder} turns segments into token ids and labels; {@link dev.osprey.chat.ChosenTemplate}
 * applies the one template precedence and {@link dev.osprey.chat.ChatPromptEncoder} is the platform's
 * {@link dev.osprey.api.chat.PromptEncoder}. Platform-internal.
 */
@Version("1.2.0")
@Export
package dev.osprey.chat;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
