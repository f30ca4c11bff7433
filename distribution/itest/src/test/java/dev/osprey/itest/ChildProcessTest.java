package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/** A child process that hangs fails its test in time, with its output, and leaves nothing running. */
class ChildProcessTest {

    @Test
    void aProcessPastItsTimeoutIsKilledWithItsChildrenAndTheTestFailsWithItsOutput() throws Exception {
        // a shell that prints, starts a child that would outlive it, and waits for it
        ProcessBuilder hanging = new ProcessBuilder("sh", "-c", "echo started; sleep 600 & echo \"child $!\"; wait");
        ChildProcess child = ChildProcess.start(hanging);
        TestPlatform.waitFor(10_000, () -> child.output().contains("child ") ? Boolean.TRUE : null);
        List<ProcessHandle> tree =
                ProcessHandle.of(child.pid()).orElseThrow().descendants().toList();

        long start = System.nanoTime();
        AssertionError failure = assertThrows(AssertionError.class, () -> child.waitFor(Duration.ofSeconds(1)));
        double seconds = (System.nanoTime() - start) / 1e9;

        assertTrue(seconds < 15, "failed after " + seconds + " s");
        assertTrue(
                failure.getMessage().contains("did not finish within 1 s and was killed")
                        && failure.getMessage().contains("started"),
                failure.getMessage());
        assertTrue(!child.isAlive(), "the process is dead");
        assertTrue(!tree.isEmpty(), "the shell's child was seen");
        for (ProcessHandle p : tree) {
            p.onExit().get(); // returns once it is gone
            assertTrue(!p.isAlive(), "its child " + p.pid() + " is dead too");
        }
    }

    @Test
    void aFinishedProcessGivesItsExitCodeAndAllItsOutput() throws Exception {
        ChildProcess.Result r = ChildProcess.run(
                new ProcessBuilder("sh", "-c", "seq 1 100000; echo oops >&2; exit 3"), Duration.ofSeconds(30));
        assertEquals(3, r.exit());
        assertTrue(
                r.out().startsWith("1\n2\n")
                        && r.out().contains("100000\n")
                        && r.out().contains("oops"),
                r.out().length() + " chars");
    }
}
