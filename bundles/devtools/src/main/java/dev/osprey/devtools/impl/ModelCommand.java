package dev.osprey.devtools.impl;

import java.nio.file.Path;
import java.util.function.Supplier;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.cli.spi.ModelOptions;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.train.sft.PluginModels;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A command that loads one model (and optionally a LoRA adapter) and works on it. */
abstract class ModelCommand extends DevCommand {

    static final String ADAPTER = "adapter";

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    DeviceOption device;

    @Option(names = "--adapters", paramLabel = "DIR", description = "a PEFT LoRA adapter folder to apply (unmerged)")
    Path adapters;

    /** Resolves the loaded model's prompt encoder; set while {@link #run} runs. */
    private Supplier<PromptEncoder> prompts;

    /** Runs {@link #run} with the model loaded; everything is freed afterwards. */
    final Integer withModel() throws Exception {
        DeviceId selected = platform.devices.select(device.device);
        EngineRuntime engine = platform.requireEngine();
        try (NDManager manager = engine.newManager(selected);
                PluginModels provider = ModelLoading.provider(platform);
                HfModel model = ModelLoading.load(provider, modelOptions, manager, null, template())) {
            // Resolved on first use: a model without a tokenizer still computes logits from token ids.
            prompts = () -> provider.prompts(model);
            String adapter = null;
            if (adapters != null) {
                // names the architecture when it declares no linear layers for adapters
                PeftAdapter.attach(
                        adapters, LoraMerge.linearsOf(model.model()), ADAPTER, manager, model.model()::checkpointKey);
                adapter = ADAPTER;
            }
            return run(model, adapter, manager);
        } finally {
            prompts = null;
        }
    }

    /** The {@code --template} of the command's prompts; null for the platform's precedence without one. */
    String template() {
        return null;
    }

    /** How the loaded model encodes conversations, while {@link #run} runs. */
    PromptEncoder prompts() {
        return prompts.get();
    }

    abstract Integer run(HfModel model, String adapter, NDManager manager) throws Exception;
}
