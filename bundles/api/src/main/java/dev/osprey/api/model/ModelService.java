package dev.osprey.api.model;

import java.io.IOException;
import java.nio.file.Path;

import org.osgi.annotation.versioning.ProviderType;

import ai.djl.ndarray.NDManager;

/**
 * The one way Osprey finds and loads a model, for training, alignment, serving, export and the command
 * line alike:
 *
 * <ol>
 * <li><b>find</b> the folder: {@link ModelRequest#model()} as a local folder, else the Hugging Face or
 * ModelScope cache, else a hub download (ModelScope by default, Hugging Face with {@code use_hf}, as
 * ms-swift), reported to {@link ModelRequest#progress()};</li>
 * <li><b>match</b> the architecture plugin as ms-swift does: {@code --model_type} given, then config.json's
 * {@code model_type}, then the registry entry of the id, then config.json's {@code architectures};</li>
 * <li><b>load</b> the weights by checkpoint key in {@code --torch_dtype}, quantized while loading for
 * QLoRA when asked, then tokenizer.json, tokenizer_config.json (its chat template) and
 * generation_config.json;</li>
 * <li><b>adapters</b>: PEFT folders attached unmerged under their names, or merged into the weights;</li>
 * <li>the {@linkplain LoadedModel#prompts() prompt encoder} with the template chosen by the one
 * precedence documented on {@link dev.osprey.api.chat.PromptEncoder}.</li>
 * </ol>
 *
 * <p>Errors are {@link IllegalArgumentException}s that name the folder, file, field or plugin at fault
 * (no config.json, a missing tensor, no installed architecture for a {@code model_type}, an unknown
 * template), and {@link IOException}s for what cannot be read or downloaded. Thread-safe.
 */
@ProviderType
public interface ModelService {

    /**
     * Finds the model's folder (downloading it when needed) without loading anything.
     *
     * @throws IllegalArgumentException when the id is neither a folder nor a model on the hub
     */
    Path locate(ModelRequest request) throws IOException;

    /**
     * Loads the model on {@link ModelRequest#device()} in a manager of its own, freed when the returned
     * model is closed.
     */
    LoadedModel load(ModelRequest request) throws IOException;

    /**
     * Loads the model into {@code manager} (whose device is the model's); the caller keeps ownership of
     * the manager, and closing the returned model frees what was loaded into it.
     */
    LoadedModel load(ModelRequest request, NDManager manager) throws IOException;
}
