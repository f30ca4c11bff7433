package dev.osprey.cli.impl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.osprey.api.inference.InferenceBackend;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionRegistry;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What {@code osprey deploy} and {@code osprey infer} serve and on which backend, with ms-swift's option names. */
public class ServingOptions {

    @Option(
            names = {"--model", "--model_name_or_path"},
            required = true,
            paramLabel = "MODEL",
            description = "a model folder, or a hub id such as Qwen/Qwen3-0.6B")
    String model;

    @Option(
            names = "--adapters",
            paramLabel = "NAME=PATH",
            arity = "1..*",
            description = "LoRA adapters, each as name=folder (a bare folder is named after it)")
    List<String> adapters = new ArrayList<>();

    @Option(
            names = "--infer_backend",
            paramLabel = "NAME",
            defaultValue = "djl",
            description = "djl (built in), vllm, sglang, lmdeploy or remote (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(
            names = "--max_model_len",
            paramLabel = "N",
            description = "the context length to serve (default: the model's)")
    Integer maxModelLen;

    @Option(names = "--setting", paramLabel = "KEY=VALUE", description = "any other backend setting (repeatable)")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--template", paramLabel = "NAME", description = "the chat template, over the model's own")
    void template(String name) {
        settings.put("template", name);
    }

    @Option(
            names = "--agent_template",
            paramLabel = "NAME",
            description =
                    "how tools and tool calls are written and read back: hermes, qwen3_coder, react_en, react_zh, llama3,"
                            + " llama4, deepseek_v3_1, glm4 or chatglm4 (default: the chat template's own)")
    void agentTemplate(String name) {
        settings.put("agent_template", name);
    }

    @Option(
            names = "--enable_thinking",
            paramLabel = "BOOL",
            description = "true or false: the chat template's enable_thinking for every request that does not set it"
                    + " in chat_template_kwargs")
    void enableThinking(String value) {
        settings.put("enable_thinking", value);
    }

    /** Put into {@link #settings} as {@code task_type}, which the djl backend reads. */
    @Option(
            names = "--task_type",
            paramLabel = "TYPE",
            description = "embedding (POST /v1/embeddings), reranker or generative_reranker (POST /v1/rerank), or"
                    + " causal_lm; default: the registry entry's task, else causal_lm")
    void taskType(String value) {
        settings.put("task_type", value);
    }

    @Mixin
    DeviceOption device;

    /** The adapters by name, in the order given. */
    Map<String, String> namedAdapters() {
        Map<String, String> named = new LinkedHashMap<>();
        for (String a : adapters) {
            int eq = a.indexOf('=');
            named.put(
                    eq > 0 ? a.substring(0, eq) : Path.of(a).getFileName().toString(),
                    eq > 0 ? a.substring(eq + 1) : a);
        }
        return named;
    }

    /** The backend named by {@code --infer_backend}; the caller closes the handle. */
    ExtensionHandle<InferenceBackend> requireBackend(ExtensionRegistry extensions) {
        try {
            return extensions.require(InferenceBackend.class, backend);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--infer_backend: " + e.getMessage());
        }
    }
}
