package dev.osprey.hardware.cuda.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.hardware.DeviceInfo;
import dev.osprey.api.hardware.HardwareReport;
import dev.osprey.hardware.support.Command;

class CudaTargetTest {

    private static final long MIB = 1024L * 1024;

    @TempDir
    Path proc;

    @Test
    void parsesOneGpu() {
        CudaTarget.SmiResult result = CudaTarget.parseNvidiaSmi("0, NVIDIA H200, 143771, 570.124.06\n");

        assertEquals(List.of(new DeviceInfo(new DeviceId("cuda", 0), "NVIDIA H200", 143771 * MIB)), result.devices());
        assertEquals(Set.of("570.124.06"), result.driverVersions());
        assertTrue(result.problems().isEmpty());
    }

    @Test
    void parsesTwoGpus() {
        CudaTarget.SmiResult result = CudaTarget.parseNvidiaSmi("""
                0, NVIDIA A100-SXM4-80GB, 81920, 535.104.05
                1, NVIDIA A100-SXM4-80GB, 81920, 535.104.05
                """);

        assertEquals(2, result.devices().size());
        assertEquals(new DeviceId("cuda", 1), result.devices().get(1).id());
        assertEquals(81920 * MIB, result.devices().get(1).memoryBytes());
        assertEquals(Set.of("535.104.05"), result.driverVersions());
    }

    @Test
    void reportsMalformedLinesWithoutThrowing() {
        CudaTarget.SmiResult result = CudaTarget.parseNvidiaSmi("""
                garbage
                x, NVIDIA T4, 15360, 550.54.15
                1, NVIDIA T4, [N/A], [N/A]
                """);

        assertEquals(List.of(new DeviceInfo(new DeviceId("cuda", 1), "NVIDIA T4", -1)), result.devices());
        assertTrue(result.driverVersions().isEmpty());
        assertEquals(2, result.problems().size());
        assertTrue(
                result.problems().get(0).contains("'garbage'"),
                result.problems().get(0));
        assertTrue(result.problems().get(1).contains("index"), result.problems().get(1));
    }

    @Test
    void keepsCommasInNames() {
        CudaTarget.SmiResult result = CudaTarget.parseNvidiaSmi("0, Odd, Name, 1024, 1.0");

        assertEquals("Odd, Name", result.devices().get(0).name());
        assertEquals(1024 * MIB, result.devices().get(0).memoryBytes());
    }

    @Test
    void gpusFoundButNotUsable() {
        HardwareReport report = target(cmd -> Optional.of(new Command.Result(
                        0, "0, NVIDIA H200, 143771, 570.124.06\n1, NVIDIA H200, 143771, 570.124.06\n", false)))
                .detect();

        assertEquals("cuda", report.kind());
        assertFalse(report.usable());
        assertEquals(2, report.devices().size());
        assertEquals(Set.of(HardwareReport.REMOTE_INFER), report.capabilities());
        assertEquals("ai.djl.pytorch:pytorch-native-cu128:2.7.1:linux-x86_64", report.nativePackage());
        String problems = String.join("\n", report.problems());
        assertTrue(problems.contains("cuda:0 NVIDIA H200, cuda:1 NVIDIA H200"), problems);
        assertTrue(problems.contains("only the PyTorch CPU natives"), problems);
        assertTrue(problems.contains("pytorch-native-cu128"), problems);
        assertTrue(problems.contains("rebuilt"), problems);
        assertTrue(problems.contains("--infer_backend vllm"), problems);
        assertTrue(
                report.notes().contains("NVIDIA driver 570.124.06"),
                report.notes().toString());
    }

    @Test
    void noNvidiaSmiAndNoDriver() {
        HardwareReport report = target(cmd -> Optional.empty()).detect();

        assertFalse(report.usable());
        assertTrue(report.devices().isEmpty());
        assertTrue(report.capabilities().isEmpty());
        assertEquals(
                List.of("no NVIDIA GPU found: nvidia-smi is not installed and /proc/driver/nvidia does not exist"),
                report.problems());
    }

    @Test
    void nvidiaSmiErrorIsReported() {
        HardwareReport report = target(cmd -> Optional.of(new Command.Result(
                        9, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n", false)))
                .detect();

        assertFalse(report.usable());
        assertEquals(1, report.problems().size());
        String problem = report.problems().get(0);
        assertTrue(
                problem.startsWith("no NVIDIA GPU found: nvidia-smi failed (exit 9): NVIDIA-SMI has failed"), problem);
    }

    @Test
    void fallsBackToProcWithoutNvidiaSmi() throws IOException {
        Path gpu = Files.createDirectories(proc.resolve("driver/nvidia/gpus/0000:3b:00.0"));
        Files.writeString(gpu.resolve("information"), "Model: \t\t NVIDIA L40S\nIRQ:   \t\t 150\nDevice Minor: \t 0\n");
        Files.createDirectories(proc.resolve("driver/nvidia/gpus/0000:af:00.0"));

        HardwareReport report = target(cmd -> Optional.empty()).detect();

        assertEquals(
                List.of(
                        new DeviceInfo(new DeviceId("cuda", 0), "NVIDIA L40S at 0000:3b:00.0", -1),
                        new DeviceInfo(new DeviceId("cuda", 1), "NVIDIA GPU at 0000:af:00.0", -1)),
                report.devices());
        assertFalse(report.usable());
        assertTrue(report.capabilities().contains(HardwareReport.REMOTE_INFER));
        assertTrue(
                report.notes().stream().anyMatch(n -> n.contains("nvidia-smi is not installed")),
                report.notes().toString());
    }

    @Test
    void runnerFailureDoesNotEscape() {
        HardwareReport report = target(cmd -> {
                    throw new IllegalStateException("boom");
                })
                .detect();

        assertFalse(report.usable());
        assertTrue(report.problems().get(0).contains("boom"), report.problems().toString());
    }

    @Test
    void missingProgramIsNotFound() {
        assertTrue(Command.run(List.of("osprey-no-such-program-xyz"), 5).isEmpty());
    }

    @Test
    void hungProgramIsStoppedAtTheLimit() {
        long start = System.nanoTime();
        Command.Result result = Command.run(List.of("sleep", "30"), 1).orElseThrow();

        assertTrue(result.timedOut());
        assertEquals(-1, result.exitCode());
        assertTrue(System.nanoTime() - start < 10_000_000_000L);
    }

    @Test
    void detectsThisMachineWithoutThrowing() {
        CudaTarget target = new CudaTarget();
        HardwareReport report = target.detect();

        assertEquals("cuda", target.name());
        assertFalse(report.usable());
        assertFalse(report.problems().isEmpty());
    }

    private CudaTarget target(Function<List<String>, Optional<Command.Result>> runner) {
        return new CudaTarget(runner, proc);
    }
}
