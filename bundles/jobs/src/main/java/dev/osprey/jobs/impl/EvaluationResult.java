package dev.osprey.jobs.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.osprey.api.eval.EvaluationReport;
import dev.osprey.api.job.JobContext;

/**
 * An evaluation job's result as a file every client reads the same way: {@code eval_result.json} in the job's
 * output folder ({@code {"metrics": {...}, "details": "..."}}), written atomically, its metrics also said as
 * messages of the job.
 */
final class EvaluationResult {

    static final String FILE = "eval_result.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EvaluationResult() {}

    /** Writes {@code report} for {@code job}; returns the file. */
    static Path write(EvaluationReport report, JobContext job) throws IOException {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("metrics", new TreeMap<>(report.metrics()));
        content.put(
                "details", report.details() == null ? null : report.details().toString());
        Path file = job.outputDir().resolve(FILE);
        Path partial = job.outputDir().resolve(FILE + ".partial");
        JSON.writeValue(partial.toFile(), content);
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        new TreeMap<>(report.metrics()).forEach((name, value) -> job.progress().message(name + " = " + value));
        job.progress().message("wrote " + file);
        return file;
    }
}
