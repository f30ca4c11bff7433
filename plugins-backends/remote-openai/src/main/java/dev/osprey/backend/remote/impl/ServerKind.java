package dev.osprey.backend.remote.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.osprey.api.inference.BackendOptions;

/**
 * How to start each OpenAI-compatible serving program as a child process, with ms-swift's settings
 * mapped to its flags. {@code REMOTE} starts nothing: it needs {@code base_url}.
 */
enum ServerKind {
    REMOTE("remote", null, null, "forward to a running OpenAI-compatible server (setting base_url)"),
    VLLM("vllm", "vllm", null, "vLLM: forward to base_url, or start `vllm serve` as a child process"),
    SGLANG(
            "sglang",
            "python3",
            "sglang",
            "SGLang: forward to base_url, or start `python3 -m sglang.launch_server` as a child process"),
    LMDEPLOY(
            "lmdeploy",
            "lmdeploy",
            null,
            "LMDeploy: forward to base_url, or start `lmdeploy serve api_server` as a child process");

    final String backendName;
    /** The program to find on PATH, or null when this kind never starts one. */
    final String program;
    /** The Python package the program runs as a module, checked before starting it; null for none. */
    final String pythonModule;

    final String description;

    ServerKind(String backendName, String program, String pythonModule, String description) {
        this.backendName = backendName;
        this.program = program;
        this.pythonModule = pythonModule;
        this.description = description;
    }

    /** The command line that serves {@code options} on {@code port}, starting with {@code executable}. */
    List<String> command(String executable, BackendOptions options, int port) {
        Map<String, String> s = options.settings();
        List<String> c = new ArrayList<>();
        c.add(executable);
        switch (this) {
            case VLLM -> {
                c.addAll(List.of(
                        "serve",
                        options.model(),
                        "--host",
                        "127.0.0.1",
                        "--port",
                        String.valueOf(port),
                        "--served-model-name",
                        options.servedName()));
                flag(c, s, "max_model_len", "--max-model-len");
                flag(c, s, "max_num_seqs", "--max-num-seqs");
                flag(c, s, "max_num_batched_tokens", "--max-num-batched-tokens");
                flag(c, s, "gpu_memory_utilization", "--gpu-memory-utilization");
                flag(c, s, "tensor_parallel_size", "--tensor-parallel-size");
                if (!options.adapters().isEmpty()) {
                    c.add("--enable-lora");
                    c.add("--lora-modules");
                    options.adapters().forEach((name, path) -> c.add(name + "=" + path));
                }
            }
            case SGLANG -> {
                c.addAll(List.of(
                        "-m",
                        "sglang.launch_server",
                        "--model-path",
                        options.model(),
                        "--host",
                        "127.0.0.1",
                        "--port",
                        String.valueOf(port),
                        "--served-model-name",
                        options.servedName()));
                flag(c, s, "max_model_len", "--context-length");
                flag(c, s, "max_num_seqs", "--max-running-requests");
                flag(c, s, "gpu_memory_utilization", "--mem-fraction-static");
                flag(c, s, "tensor_parallel_size", "--tp-size");
                if (!options.adapters().isEmpty()) {
                    c.add("--lora-paths");
                    options.adapters().forEach((name, path) -> c.add(name + "=" + path));
                }
            }
            case LMDEPLOY -> {
                c.addAll(List.of(
                        "serve",
                        "api_server",
                        options.model(),
                        "--server-name",
                        "127.0.0.1",
                        "--server-port",
                        String.valueOf(port),
                        "--model-name",
                        options.servedName()));
                flag(c, s, "max_model_len", "--session-len");
                flag(c, s, "max_num_seqs", "--max-batch-size");
                flag(c, s, "gpu_memory_utilization", "--cache-max-entry-count");
                flag(c, s, "tensor_parallel_size", "--tp");
                if (!options.adapters().isEmpty()) {
                    c.add("--adapters");
                    options.adapters().forEach((name, path) -> c.add(name + "=" + path));
                }
            }
            case REMOTE -> throw new IllegalStateException("the remote backend starts no program");
        }
        return c;
    }

    private static void flag(List<String> c, Map<String, String> settings, String key, String flag) {
        String v = settings.get(key);
        if (v != null && !v.isEmpty()) {
            c.add(flag);
            c.add(v);
        }
    }
}
