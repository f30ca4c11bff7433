package dev.osprey.eval.impl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.ArgumentSpec.Type;
import dev.osprey.api.job.Arguments;

/**
 * One benchmark's entry of {@code --dataset_args}, as EvalScope reads it: {@code {"NAME": {"local_path": DIR,
 * "subset_list": [...], "few_shot_num": N}}}. The hub is not reached, so {@code local_path} is required.
 *
 * @param localPath the benchmark's local copy, in its published layout
 * @param subsets the subsets (subjects) to ask; empty for all
 * @param fewShot the number of answered examples to show first
 */
record BenchmarkOptions(Path localPath, List<String> subsets, int fewShot) {

    private static final ObjectMapper JSON = new ObjectMapper();

    BenchmarkOptions {
        subsets = List.copyOf(subsets);
    }

    /** The {@code --dataset_args} option as benchmark {@code name} documents it. */
    static ArgumentSpec argument(String name) {
        return ArgumentSpec.of(
                "dataset_args",
                Type.MAPPING,
                "{\"" + name + "\": {\"local_path\": DIR, \"subset_list\": [...], \"few_shot_num\": N}}");
    }

    /** Benchmark {@code name}'s options, {@code defaultShots} examples when the entry names none. */
    static BenchmarkOptions of(Arguments args, String name, int defaultShots) {
        String text = args.getString("dataset_args")
                .orElseThrow(() -> new IllegalArgumentException(name + " reads a local copy of the benchmark: give"
                        + " --dataset_args '{\"" + name + "\": {\"local_path\": \"DIR\"}}'"));
        JsonNode all;
        try {
            all = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "--dataset_args is not JSON: " + e.getOriginalMessage() + " in " + text, e);
        }
        JsonNode options = all.path(name);
        if (!options.path("local_path").isTextual()) {
            throw new IllegalArgumentException("--dataset_args has no " + name + ".local_path: " + text);
        }
        List<String> subsets = new ArrayList<>();
        options.path("subset_list").forEach(s -> subsets.add(s.asText()));
        return new BenchmarkOptions(
                Path.of(options.path("local_path").asText()),
                subsets,
                options.path("few_shot_num").asInt(defaultShots));
    }
}
