package dev.osprey.eval.impl;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.TextTokenizer;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;

/** Completions of a model loaded in this process, the prompts of one call generated together (left-padded). */
final class LocalCompletions implements CompletionSource {

    private final NDManager manager;
    private final LoadedModel model;
    private final TextTokenizer tokenizer;
    private final GenerationOptions sampling;
    private long generated;

    /** Takes ownership of {@code manager} and {@code model}, closed with this. */
    LocalCompletions(NDManager manager, LoadedModel model, GenerationOptions sampling, String benchmark) {
        this.manager = manager;
        this.model = model;
        this.sampling = sampling;
        this.tokenizer = model.tokenizer()
                .orElseThrow(() -> new IllegalArgumentException(
                        model.folder() + " has no tokenizer; " + benchmark + " decodes the model's completions"));
    }

    @Override
    public List<String> complete(List<String> prompts) {
        List<int[]> ids = new ArrayList<>();
        prompts.forEach(p -> ids.add(model.prompts().encodeText(p)));
        List<Generator.Result> results =
                Generator.generate(model.model(), ids, sampling, null, t -> tokenizer.decode(t, true), null);
        results.forEach(r -> generated += r.tokens().length);
        return results.stream().map(Generator.Result::text).toList();
    }

    @Override
    public long tokensGenerated() {
        return generated;
    }

    @Override
    public void close() {
        try (manager) {
            model.close();
        }
    }
}
