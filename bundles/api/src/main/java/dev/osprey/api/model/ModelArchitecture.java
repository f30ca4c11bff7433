package dev.osprey.api.model;

import java.util.Set;

import org.osgi.annotation.versioning.ConsumerType;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.Extension;

/**
 * Builds the network of one Hugging Face {@code model_type} on DJL. {@link #name()} is the
 * {@code model_type} (e.g. {@code llama}, {@code qwen2}); {@link #architectures()} lists the
 * {@code architectures[0]} values it accepts (e.g. {@code LlamaForCausalLM}).
 *
 * <p>An architecture holds no state of its own: {@link #build} may be called from any thread, any number
 * of times. It needs the {@code EngineRuntime} service, so model bundles reference it to start after the
 * engine. A model already built keeps working when its architecture bundle is removed, as long as its
 * classes stay loaded (OSGi keeps a removed bundle's class loader until refresh); new loads of that
 * {@code model_type} then fail with a message listing the architectures still installed.
 */
@ConsumerType
public interface ModelArchitecture extends Extension {

    /**
     * Service property ({@code =true}) of an architecture composed around another's language model (a vision-language
     * model binding the installed architectures to find its text family). Such architectures bind only
     * {@link #LANGUAGE_MODELS}: binding one another would be a cycle of references, which SCR refuses at run time.
     */
    String COMPOSED = "osprey.architecture.composed";

    /** The target filter of a reference to the architectures a composed one may take its language model from. */
    String LANGUAGE_MODELS = "(!(" + COMPOSED + "=true))";

    /** The {@code architectures[0]} values of config.json this builds, e.g. {@code Qwen2ForCausalLM}. */
    Set<String> architectures();

    /**
     * The names of the linear layers LoRA may target, as they appear at the end of checkpoint keys
     * ({@code q_proj}, {@code k_proj}, ...); {@code --target_modules all-linear} means all of these.
     */
    Set<String> linearModules();

    /**
     * Builds the network with uninitialised parameters in {@code manager}; the platform then loads the
     * weights by name. Checks the config's invariants and throws an {@link IllegalArgumentException} that
     * names the field at fault.
     */
    LanguageModel build(ModelConfig config, NDManager manager);
}
