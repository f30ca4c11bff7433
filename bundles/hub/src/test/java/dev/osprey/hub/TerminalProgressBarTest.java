package dev.osprey.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class TerminalProgressBarTest {

    @Test
    void rendersPercentBytesRateAndEta() {
        assertEquals(
                "model.safetensors   40%  100.0 MB / 250.0 MB  10.0 MB/s  ETA 0:15",
                TerminalProgressBar.render("model.safetensors", 100_000_000, 250_000_000, 10e6, 10_000_000_000L));
        assertEquals(
                "config.json  100%  512 B / 512 B  0.0 MB/s  in 0:00",
                TerminalProgressBar.render("config.json", 512, 512, 5120, 100_000_000));
        assertEquals("x  1.5 kB  0.0 MB/s  ETA --:--", TerminalProgressBar.render("x", 1500, -1, 0, 0));
        assertEquals("1:01:01", TerminalProgressBar.duration(3661));
        assertEquals("1.25 GB", TerminalProgressBar.bytes(1_250_000_000L));
    }

    @Test
    void interactiveRedrawsOneLineWithCarriageReturns() {
        long[] now = {0};
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        TerminalProgressBar bar =
                new TerminalProgressBar(new PrintStream(buf, true, StandardCharsets.UTF_8), true, () -> now[0], 5000);
        bar.started("w.bin", 2_000_000);
        now[0] = 1_000_000_000L;
        bar.advanced(1_000_000);
        now[0] = 2_000_000_000L;
        bar.advanced(1_000_000);
        bar.finished("w.bin");
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(1, out.chars().filter(c -> c == '\n').count(), out);
        assertTrue(out.contains("\rw.bin   50%  1.0 MB / 2.0 MB  1.0 MB/s  ETA 0:01"), out);
        assertTrue(out.endsWith("\rw.bin  100%  2.0 MB / 2.0 MB  1.0 MB/s  in 0:02" + System.lineSeparator()), out);
    }

    @Test
    void plainOutputPrintsPeriodicLinesAndIgnoresResumedBytesForTheRate() {
        long[] now = {0};
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        TerminalProgressBar bar =
                new TerminalProgressBar(new PrintStream(buf, true, StandardCharsets.UTF_8), false, () -> now[0], 5000);
        bar.started("w.bin", 10_000_000);
        bar.resumed(5_000_000);
        for (int i = 1; i <= 10; i++) {
            now[0] = i * 1_000_000_000L;
            bar.advanced(500_000);
        }
        bar.finished("w.bin");
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\\R");
        assertEquals(3, lines.length, String.join("|", lines));
        assertEquals("w.bin   75%  7.5 MB / 10.0 MB  0.5 MB/s  ETA 0:05", lines[0]);
        assertEquals("w.bin  100%  10.0 MB / 10.0 MB  0.5 MB/s  in 0:10", lines[2]);
        assertTrue(!buf.toString(StandardCharsets.UTF_8).contains("\r"));
    }
}
