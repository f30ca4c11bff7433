package dev.osprey.api.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JobEventTest {

    @Test
    void theWireFormReadsBackTheSameEvent() {
        JobEvent step = new JobEvent(
                7,
                Instant.parse("2026-12-06T03:00:00Z"),
                JobEvent.Type.STEP,
                null,
                "train",
                20,
                300,
                Map.of("loss", 1.25, "learning_rate", 1e-4),
                12.5,
                null);
        Map<String, Object> wire = step.toMap();
        assertEquals(20L, wire.get("step"));
        assertEquals(1.25, wire.get("loss"));
        assertFalse(wire.containsKey("state") || wire.containsKey("text"), "fields that do not apply are left out");
        assertEquals(step, JobEvent.fromMap(wire));

        JobEvent state = new JobEvent(
                8,
                Instant.parse("2026-12-06T03:00:01Z"),
                JobEvent.Type.STATE,
                JobState.FAILED,
                null,
                0,
                -1,
                Map.of(),
                -1,
                "--dataset: no such file");
        assertEquals(state, JobEvent.fromMap(state.toMap()));
    }

    @Test
    void numbersOfAnyTypeAreReadAsJsonParsersGiveThem() {
        Map<String, Object> parsed = new LinkedHashMap<>();
        parsed.put("sequence", 3); // an Integer, as Jackson gives small numbers
        parsed.put("time", "2026-12-06T03:00:00Z");
        parsed.put("type", "step");
        parsed.put("step", 2);
        parsed.put("total_steps", 10);
        parsed.put("loss", 2);
        JobEvent event = JobEvent.fromMap(parsed);
        assertEquals(3, event.sequence());
        assertEquals(2.0, event.metrics().get("loss"));
        assertEquals(-1, event.etaSeconds());
    }

    @Test
    void aMapThatIsNoEventIsRefused() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> JobEvent.fromMap(Map.of("type", "step")));
        assertEquals(true, e.getMessage().startsWith("not a job event"));
    }
}
