package dev.osprey.backend.djl;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.models.llama.LlamaArchitecture;

/**
 * Opens the real DJL backend's session on a Llama folder without a framework (the backend component
 * finds architectures through the extension registry; here the Llama one is given directly).
 */
public final class DjlSessions {

    private DjlSessions() {}

    public static InferenceSession open(
            Path folder, String servedName, Map<String, String> adapters, Map<String, String> settings)
            throws Exception {
        return open(folder, c -> new LlamaArchitecture(), servedName, adapters, settings);
    }

    /** A session over {@code folder} built by {@code architectures} (a multimodal family, for instance). */
    public static InferenceSession open(
            Path folder,
            Function<ModelConfig, ModelArchitecture> architectures,
            String servedName,
            Map<String, String> adapters,
            Map<String, String> settings)
            throws Exception {
        return DjlSession.open(
                folder,
                architectures,
                NDManager.newBaseManager(),
                new BackendOptions(folder.toString(), servedName, adapters, "cpu", settings),
                List.of());
    }

    /** A Qwen3 checkpoint served with the given settings ({@code task_type}, ...), under the real Qwen3 architecture. */
    public static InferenceSession openQwen3(Path folder, String servedName, Map<String, String> settings)
            throws Exception {
        return open(folder, servedName, settings, new dev.osprey.models.qwen.Qwen3Architecture());
    }

    /** A checkpoint served with the given settings under the given architecture. */
    public static InferenceSession open(
            Path folder,
            String servedName,
            Map<String, String> settings,
            dev.osprey.api.model.ModelArchitecture architecture)
            throws Exception {
        return DjlSession.open(
                folder,
                c -> architecture,
                NDManager.newBaseManager(),
                new BackendOptions(folder.toString(), servedName, Map.of(), "cpu", settings),
                List.of());
    }
}
