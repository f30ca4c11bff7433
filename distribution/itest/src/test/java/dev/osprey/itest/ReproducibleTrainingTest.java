package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The README's main job gives the same numbers every time: the built-in demo ({@code osprey sft}, every
 * core) run four times — alone, beside a CPU load, and with a young generation so small that the
 * garbage collector runs all the time — writes bit-identical losses, gradient norms and evaluation losses
 * to logging.jsonl, and a run resumed from its checkpoint in a fresh folder repeats them too. Before
 * Scalars, one run in four diverged and non-finite steps appeared at random.
 */
class ReproducibleTrainingTest {

    @TempDir
    static Path home;

    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void layOutHome() throws IOException {
        DistributionCliTest.layOutHome(home);
    }

    /** Runs the demo into {@code out} with {@code javaOpts}, optionally beside a busy core per processor. */
    private static List<ObjectNode> demo(Path out, String javaOpts, boolean underLoad, String... extra)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(
                home.resolve("bin/osprey").toString(), "sft", "--logging_steps", "1", "--output_dir", out.toString()));
        command.addAll(List.of(extra));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("OSPREY_JAVA_OPTS", javaOpts);
        AtomicBoolean busy = new AtomicBoolean(underLoad);
        List<Thread> load = new ArrayList<>();
        for (int i = 0; underLoad && i < Runtime.getRuntime().availableProcessors(); i++) {
            Thread spinner = new Thread(
                    () -> {
                        double x = 1;
                        while (busy.get()) {
                            x = Math.sin(x) + 1; // keeps a core busy for the length of the run
                        }
                    },
                    "cpu-load-" + i);
            spinner.setDaemon(true);
            spinner.start();
            load.add(spinner);
        }
        try {
            ChildProcess.Result run = ChildProcess.run(builder, DistributionCliTest.OSPREY_TIMEOUT);
            assertEquals(0, run.exit(), run.out());
            assertTrue(!run.out().contains("non-finite") && !run.out().contains("diverged"), run.out());
        } finally {
            busy.set(false);
            for (Thread t : load) {
                t.join();
            }
        }
        return records(out);
    }

    /** The records of {@code out}'s logging.jsonl without the clock's fields: the numbers a rerun must repeat. */
    static List<ObjectNode> records(Path out) throws IOException {
        List<ObjectNode> records = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("logging.jsonl"))) {
            ObjectNode record = (ObjectNode) JSON.readTree(line);
            record.remove(List.of("tokens_per_s", "elapsed_s")); // the clock, not the numbers
            records.add(record);
        }
        return records;
    }

    @Test
    void theDemoWritesBitIdenticalLossesEveryRunUnderLoadAndAfterAResume() throws Exception {
        List<ObjectNode> first = demo(home.resolve("run-1"), "", false);
        assertEquals(300, first.size());
        assertTrue(
                first.get(first.size() - 1).has("eval_loss"),
                "the last step is evaluated: " + first.get(first.size() - 1));
        Map<String, List<ObjectNode>> others = Map.of(
                "run beside a CPU load", demo(home.resolve("run-2"), "", true),
                "run with a 2 MB young generation (a collection every few operations)",
                        demo(home.resolve("run-3"), "-Xmn2m", false),
                "run with both", demo(home.resolve("run-4"), "-Xmn2m", true));
        others.forEach((what, records) -> assertRecordsEqual(first, records, what));

        // resumed in a fresh folder from the uninterrupted run's checkpoint: the steps after it, the same bits
        List<ObjectNode> resumed = demo(
                home.resolve("resumed"),
                "-Xmn2m",
                true,
                "--resume_from_checkpoint",
                home.resolve("run-1/checkpoint-150").toString());
        assertRecordsEqual(first.subList(150, 300), resumed, "run resumed from checkpoint-150");
    }

    private static void assertRecordsEqual(List<ObjectNode> expected, List<ObjectNode> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": logged steps");
        for (int i = 0; i < expected.size(); i++) {
            // equal as JSON: every double printed alike, i.e. the same bits
            assertEquals(expected.get(i), actual.get(i), what + ": step " + (i + 1) + " differs");
        }
    }
}
