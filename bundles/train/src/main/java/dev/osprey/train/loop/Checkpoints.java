package dev.osprey.train.loop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.checkpoint.Safetensors;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.load.Folders;

/**
 * Checkpoints every {@code saveSteps} steps, as {@code OUTPUT/checkpoint-STEP/}: the trained weights (a PEFT
 * adapter or a Hugging Face folder, by {@code writer}), {@code optimizer.safetensors} (AdamW's moments) and
 * {@code trainer_state.json} (step, total, log history). Each is assembled in a hidden sibling folder and
 * renamed into place, so a crash never leaves half a checkpoint; only the newest {@code saveTotalLimit}
 * are kept.
 *
 * @param outputDir {@code --output_dir}
 * @param saveSteps {@code --save_steps}; 0 saves only at the end
 * @param saveTotalLimit {@code --save_total_limit}; 0 keeps all
 * @param writer writes the trained weights into the folder being assembled
 */
public record Checkpoints(Path outputDir, int saveSteps, int saveTotalLimit, Folders.Writer writer) {

    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    static final String STATE_FILE = "trainer_state.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Where a resumed run picks up.
     *
     * @param step the optimizer steps already done
     * @param optimizerState AdamW's moments
     * @param history the step log so far
     */
    public record Resume(long step, Map<String, NDArray> optimizerState, List<StepLog> history) {}

    /** Whether step {@code step} of {@code total} writes a checkpoint: every {@code saveSteps}, and the last. */
    public boolean due(long step, long total) {
        return step == total || (saveSteps > 0 && step % saveSteps == 0);
    }

    /**
     * Writes checkpoint-{@code step} atomically and prunes old ones.
     *
     * @param history the log so far, as {@code trainer_state.json}'s {@code log_history}
     */
    public Path save(long step, long total, Map<String, NDArray> optimizerState, List<StepLog> history)
            throws IOException {
        Path target = outputDir.resolve("checkpoint-" + step);
        Folders.writeAtomically(target, dir -> {
            writer.write(dir);
            Safetensors.write(dir.resolve(OPTIMIZER_FILE), optimizerState, Map.of("step", Long.toString(step)), "F32");
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("global_step", step);
            state.put("max_steps", total);
            state.put("log_history", history.stream().map(StepLog::toMap).toList());
            Files.writeString(dir.resolve(STATE_FILE), JSON.writeValueAsString(state));
        });
        prune();
        return target;
    }

    private void prune() throws IOException {
        if (saveTotalLimit <= 0) {
            return;
        }
        List<Path> all = list(outputDir);
        for (int i = 0; i < all.size() - saveTotalLimit; i++) {
            Folders.deleteTree(all.get(i));
        }
    }

    /** Deletes the hidden half-written checkpoint folders a killed run left behind. */
    public static void removeScratch(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) {
            return;
        }
        try (Stream<Path> files = Files.list(outputDir)) {
            for (Path p : files.filter(p -> p.getFileName().toString().matches("\\.checkpoint-\\d+\\.tmp-\\d+"))
                    .toList()) {
                Folders.deleteTree(p);
            }
        }
    }

    /** The complete checkpoints of a run, oldest first. */
    public static List<Path> list(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(outputDir)) {
            return files.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+")
                            && Files.isRegularFile(p.resolve(STATE_FILE)))
                    .sorted(Comparator.comparingLong(
                            p -> Long.parseLong(p.getFileName().toString().substring("checkpoint-".length()))))
                    .toList();
        }
    }

    /**
     * Reads what a run needs to continue from a checkpoint.
     *
     * @throws IllegalArgumentException naming the checkpoint when a file is missing
     */
    public static Resume load(Path checkpoint, NDManager manager) throws IOException {
        Path state = checkpoint.resolve(STATE_FILE);
        if (!Files.isRegularFile(state) || !Files.isRegularFile(checkpoint.resolve(OPTIMIZER_FILE))) {
            throw new IllegalArgumentException(checkpoint + " is not a complete checkpoint (" + STATE_FILE + " and "
                    + OPTIMIZER_FILE + " are needed)");
        }
        JsonNode root = JSON.readTree(state.toFile());
        List<StepLog> history = new ArrayList<>();
        for (JsonNode n : root.path("log_history")) {
            history.add(StepLog.fromJson(n));
        }
        WeightFiles optimizer = WeightFiles.openFile(checkpoint.resolve(OPTIMIZER_FILE));
        Map<String, NDArray> moments = new LinkedHashMap<>();
        for (String name : optimizer.names()) {
            moments.put(name, optimizer.load(manager, name, DataType.FLOAT32));
        }
        return new Resume(root.path("global_step").asLong(), moments, history);
    }
}
