package dev.osprey.cli.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.osprey.api.jobs.JobEvent;

class TrainingProgressTest {

    private static JobEvent step(String phase, long step, long total, Map<String, Double> metrics, double eta) {
        return new JobEvent(7, Instant.EPOCH, JobEvent.Type.STEP, null, phase, step, total, metrics, eta, null);
    }

    @Test
    void aTrainingStepShowsStepsAndTheLoss() {
        String line = TrainingProgress.render(step("train", 5, 10, Map.of("loss", 1.5), 30), 30);
        assertEquals("step 5/10 [============>           ]  50%  loss 1.5000  00:30<00:30", line);
    }

    @Test
    void anUploadShowsMegabytesTheRateAndTheEta() {
        String line = TrainingProgress.render(step("upload", 1_200_000, 4_800_000, Map.of("MB_per_s", 4.0), 0.9), 0.3);
        assertEquals("upload 1.2 MB/4.8 MB [======>                 ]  25%  4.0 MB/s  00:00<00:01", line);
    }
}
