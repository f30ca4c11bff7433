package dev.osprey.export.impl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.dataset.DatasetService;
import dev.osprey.api.job.Arguments;

/**
 * The calibration samples of a GPTQ or AWQ export: the first {@code --quant_n_samples} rows of the {@code --dataset}
 * files (any of ms-swift's formats), each rendered with the model's chat template as in training and cut to {@code
 * --max_length} tokens.
 */
final class Calibration {

    private Calibration() {}

    static List<int[]> samples(DatasetService datasets, Arguments args, PromptEncoder prompts, QuantSettings s) {
        List<String> files = args.getList("dataset");
        if (files.isEmpty()) {
            throw new IllegalArgumentException("--quant_method " + s.method()
                    + " needs --dataset FILE, the calibration text its layers are quantized against");
        }
        List<int[]> samples = new ArrayList<>();
        for (String file : files) {
            for (Conversation c : datasets.conversations(Path.of(file))) {
                if (samples.size() == s.samples()) {
                    return samples;
                }
                int[] ids = prompts.forTraining(c, RenderOptions.ALL).inputIds();
                if (ids.length > 0) {
                    samples.add(Arrays.copyOf(ids, Math.min(ids.length, s.maxLength())));
                }
            }
        }
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("--dataset " + files + " holds no row with tokens to calibrate on");
        }
        return samples;
    }
}
