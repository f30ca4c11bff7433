package dev.osprey.hardware.ascend.impl;

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

class AscendTargetTest {

    /** Shaped like {@code npu-smi info -l} on an Atlas server. */
    private static final String NPU_SMI_TWO = """
                    Total Count                    : 2

                    NPU ID                         : 0
                    Product Name                   : IT21PDDA01
                    Serial Number                  : 102320384512
                    Chip Count                     : 1

                    NPU ID                         : 1
                    Product Name                   : IT21PDDA01
                    Serial Number                  : 102320384513
                    Chip Count                     : 1
            """;

    @TempDir
    Path dev;

    @Test
    void parsesNpuSmiList() {
        AscendTarget.SmiResult result = AscendTarget.parseNpuSmiList(NPU_SMI_TWO);

        assertEquals(
                List.of(
                        new DeviceInfo(new DeviceId("npu", 0), "IT21PDDA01", -1),
                        new DeviceInfo(new DeviceId("npu", 1), "IT21PDDA01", -1)),
                result.devices());
        assertTrue(result.problems().isEmpty());
    }

    @Test
    void parsesLeniently() {
        AscendTarget.SmiResult result = AscendTarget.parseNpuSmiList("""
                NPU ID: 3
                Name: Ascend910B3
                NPU ID : seven
                npu id:4
                some banner without a colon
                """);

        assertEquals(
                List.of(
                        new DeviceInfo(new DeviceId("npu", 3), "Ascend910B3", -1),
                        new DeviceInfo(new DeviceId("npu", 4), "Ascend NPU", -1)),
                result.devices());
        assertEquals(1, result.problems().size());
        assertTrue(result.problems().get(0).contains("seven"), result.problems().get(0));
        assertTrue(AscendTarget.parseNpuSmiList("").devices().isEmpty());
    }

    @Test
    void npuSmiFoundNpus() {
        HardwareReport report = target(cmd -> Optional.of(new Command.Result(0, NPU_SMI_TWO, false)))
                .detect();

        assertEquals("npu", report.kind());
        assertFalse(report.usable());
        assertEquals(2, report.devices().size());
        assertEquals(Set.of(HardwareReport.REMOTE_INFER), report.capabilities());
        assertEquals("", report.nativePackage());
        String problems = String.join("\n", report.problems());
        assertTrue(problems.contains("npu:0 IT21PDDA01, npu:1 IT21PDDA01"), problems);
        assertTrue(problems.contains("no Ascend (CANN) engine"), problems);
        assertTrue(String.join("\n", report.notes()).contains("vLLM-Ascend or LMDeploy) with --infer_backend remote"));
    }

    @Test
    void fallsBackToDavinciNodes() throws IOException {
        for (String f : List.of("davinci0", "davinci1", "davinci10", "davinci_manager", "davinci", "hisi_hdc")) {
            Files.createFile(dev.resolve(f));
        }

        HardwareReport report = target(cmd -> Optional.empty()).detect();

        assertEquals(
                List.of(new DeviceId("npu", 0), new DeviceId("npu", 1), new DeviceId("npu", 10)),
                report.devices().stream().map(DeviceInfo::id).toList());
        assertEquals("Ascend NPU (/dev/davinci1)", report.devices().get(1).name());
        assertFalse(report.usable());
        assertEquals(Set.of(HardwareReport.REMOTE_INFER), report.capabilities());
        assertTrue(
                report.notes().stream().anyMatch(n -> n.contains("npu-smi is not installed")),
                report.notes().toString());
    }

    @Test
    void noNpu() {
        HardwareReport report = target(cmd -> Optional.empty()).detect();

        assertFalse(report.usable());
        assertTrue(report.devices().isEmpty());
        assertTrue(report.capabilities().isEmpty());
        assertEquals(
                "no Ascend NPU found: npu-smi is not installed and /dev has no davinciN device node",
                report.problems().get(0));
        assertTrue(report.problems().get(1).contains("no Ascend (CANN) engine"));
    }

    @Test
    void npuSmiErrorIsReported() {
        HardwareReport report = target(
                        cmd -> Optional.of(new Command.Result(-1, "npu-smi did not finish within 5 s", true)))
                .detect();

        assertTrue(
                report.problems().get(0).startsWith("no Ascend NPU found: npu-smi failed (timed out)"),
                report.problems().get(0));
    }

    @Test
    void missingDevFolderIsNoNpu() {
        assertTrue(AscendTarget.davinciIndices(dev.resolve("missing")).isEmpty());
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
        AscendTarget target = new AscendTarget();
        HardwareReport report = target.detect();

        assertEquals("npu", target.name());
        assertFalse(report.usable());
        assertFalse(report.problems().isEmpty());
    }

    private AscendTarget target(Function<List<String>, Optional<Command.Result>> runner) {
        return new AscendTarget(runner, dev);
    }
}
