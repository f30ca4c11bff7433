package dev.osprey.export.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.osprey.api.job.JobContext;

/** Where an exporter writes: the job's output folder, checked to be new. */
final class ExportRequest {

    private ExportRequest() {}

    /**
     * The folder to write: the job's output folder, which must hold nothing yet (an export never mixes with or
     * overwrites other files).
     */
    static Path target(JobContext job) throws IOException {
        Path out = job.outputDir();
        if (Files.isDirectory(out)) {
            try (var files = Files.list(out)) {
                if (files.findAny().isPresent()) {
                    throw new IllegalArgumentException("--output_dir " + out + " is not empty; give a new folder");
                }
            }
        }
        return out;
    }
}
