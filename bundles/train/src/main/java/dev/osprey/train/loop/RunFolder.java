package dev.osprey.train.loop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import ai.djl.ndarray.NDManager;

import dev.osprey.model.load.Folders;

/**
 * A training run's output folder, the same for every method: {@code args.json}, {@code logging.jsonl}
 * (every {@code --logging_steps}, the last step and every evaluation), the checkpoints and, on resume,
 * the log cut back to the checkpoint so the steps after it are written again.
 *
 * @param outputDir {@code --output_dir}
 * @param arguments the run's arguments by ms-swift name, written to {@code args.json}
 * @param loggingSteps {@code --logging_steps}
 * @param saveSteps {@code --save_steps}; 0 saves only at the end
 * @param saveTotalLimit {@code --save_total_limit}; 0 keeps all
 * @param weights writes the trained weights into a checkpoint folder being assembled
 * @param resumeFrom {@code --resume_from_checkpoint}, or null
 */
public record RunFolder(
        Path outputDir,
        Map<String, Object> arguments,
        int loggingSteps,
        int saveSteps,
        int saveTotalLimit,
        Folders.Writer weights,
        Path resumeFrom) {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String LOG_FILE = "logging.jsonl";

    public RunFolder {
        if (loggingSteps <= 0) {
            throw new IllegalArgumentException("--logging_steps must be positive, was " + loggingSteps);
        }
    }

    Checkpoints checkpoints() {
        return new Checkpoints(outputDir, saveSteps, saveTotalLimit, weights);
    }

    /**
     * Lays the folder out for a run: removes half-written checkpoints, writes {@code args.json}, reads the
     * checkpoint to resume from (its arrays on {@code manager}) and opens the log.
     */
    Open open(NDManager manager) throws IOException {
        Files.createDirectories(outputDir);
        Checkpoints.removeScratch(outputDir);
        Files.writeString(
                outputDir.resolve("args.json"),
                JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(arguments));
        Checkpoints.Resume resume = resumeFrom == null ? null : Checkpoints.load(resumeFrom, manager);
        Path log = outputDir.resolve(LOG_FILE);
        if (resume != null) {
            keepLogUpTo(log, resume.step());
        }
        Writer writer = Files.newBufferedWriter(
                log,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                resume == null ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND);
        return new Open(resume, writer);
    }

    /** An open run folder: the resume point (or null) and the log being written. */
    final class Open implements AutoCloseable {

        private final Checkpoints.Resume resume;
        private final Writer writer;

        private Open(Checkpoints.Resume resume, Writer writer) {
            this.resume = resume;
            this.writer = writer;
        }

        Checkpoints.Resume resume() {
            return resume;
        }

        /** Logs a step (with the clock's fields) when it is due, or only its evaluation when that alone is due. */
        void log(StepLog step, double elapsedSeconds, double tokensPerSecond) {
            Map<String, Object> record;
            if (step.step() % loggingSteps == 0 || step.step() == step.totalSteps()) {
                record = step.toMap();
                record.put("tokens_per_s", tokensPerSecond);
                record.put("elapsed_s", elapsedSeconds);
            } else if (!step.eval().isEmpty()) {
                record = new LinkedHashMap<>();
                record.put("step", step.step());
                record.putAll(step.eval());
            } else {
                return;
            }
            try {
                writer.write(JSON.writeValueAsString(record) + "\n");
                writer.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() throws IOException {
            writer.close();
        }
    }

    /** A resumed run rewrites what the interrupted one logged after its checkpoint. */
    private static void keepLogUpTo(Path log, long step) throws IOException {
        if (!Files.isRegularFile(log)) {
            return;
        }
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (!line.isBlank() && JSON.readTree(line).path("step").asLong() <= step) {
                kept.add(line);
            }
        }
        Files.write(log, kept);
    }
}
