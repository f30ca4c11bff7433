package dev.osprey.align.rlhf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import ai.djl.ndarray.NDArray;
import dev.osprey.checkpoint.Safetensors;
import dev.osprey.model.load.Folders;
import dev.osprey.train.sft.Checkpoints;

/**
 * Checkpoints of an alignment run in the layout of SFT's ({@code OUTPUT/checkpoint-STEP/}: the weights, a
 * PEFT adapter or a Hugging Face folder; {@code optimizer.safetensors}; {@code trainer_state.json} with the
 * log history by TRL's metric names), each assembled in a hidden sibling folder and renamed into place.
 */
final class AlignCheckpoints {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path outputDir;
    private final int saveSteps;
    private final int saveTotalLimit;
    private final Folders.Writer weights;

    AlignCheckpoints(Path outputDir, int saveSteps, int saveTotalLimit, Folders.Writer weights) {
        this.outputDir = outputDir;
        this.saveSteps = saveSteps;
        this.saveTotalLimit = saveTotalLimit;
        this.weights = weights;
    }

    boolean due(long step, long total) {
        return step == total || (saveSteps > 0 && step % saveSteps == 0);
    }

    Path save(long step, long total, Map<String, NDArray> optimizerState, List<Map<String, Object>> history) throws IOException {
        Path target = outputDir.resolve("checkpoint-" + step);
        Folders.writeAtomically(target, dir -> {
            weights.write(dir);
            Safetensors.write(dir.resolve("optimizer.safetensors"), optimizerState, Map.of("step", Long.toString(step)), "F32");
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("global_step", step);
            state.put("max_steps", total);
            state.put("log_history", history);
            Files.writeString(dir.resolve("trainer_state.json"), JSON.writeValueAsString(state));
        });
        if (saveTotalLimit > 0) {
            List<Path> all = Checkpoints.list(outputDir);
            for (int i = 0; i < all.size() - saveTotalLimit; i++) {
                Folders.deleteTree(all.get(i));
            }
        }
        return target;
    }
}
