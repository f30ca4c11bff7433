package dev.osprey.hardware.cpu.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.hardware.DeviceInfo;
import dev.osprey.api.hardware.HardwareReport;

class CpuTargetTest {

    @TempDir
    Path proc;

    @Test
    void readsModelNameAndMemoryFromProc() throws IOException {
        Files.writeString(proc.resolve("cpuinfo"), """
                processor\t: 0
                vendor_id\t: GenuineIntel
                model name\t: Intel(R) Xeon(R)  Platinum 8480+
                processor\t: 1
                model name\t: Intel(R) Xeon(R)  Platinum 8480+
                """);
        Files.writeString(proc.resolve("meminfo"), """
                MemTotal:       16384000 kB
                MemFree:         1000000 kB
                """);

        HardwareReport report = CpuTarget.report(proc, 8);

        assertEquals("cpu", report.kind());
        assertTrue(report.usable());
        assertEquals(Set.of(HardwareReport.TRAIN, HardwareReport.INFER), report.capabilities());
        assertEquals("ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64", report.nativePackage());
        assertTrue(report.problems().isEmpty());
        assertEquals(
                List.of(new DeviceInfo(DeviceId.CPU, "Intel(R) Xeon(R) Platinum 8480+ (8 cores)", 16384000L * 1024)),
                report.devices());
        assertTrue(report.notes().get(0).startsWith("8 cores"));
    }

    @Test
    void stillUsableWithoutProc() {
        HardwareReport report = CpuTarget.report(proc.resolve("missing"), 1);

        assertTrue(report.usable());
        DeviceInfo cpu = report.devices().get(0);
        assertEquals(DeviceId.CPU, cpu.id());
        assertEquals("CPU (1 core)", cpu.name());
        assertEquals(-1, cpu.memoryBytes());
    }

    @Test
    void parsesLeniently() {
        assertEquals("", CpuTarget.modelName(List.of("processor : 0", "BogoMIPS : 50.00")));
        assertEquals(-1, CpuTarget.memTotalBytes(List.of("MemTotal: lots")));
        assertEquals(-1, CpuTarget.memTotalBytes(List.of()));
    }

    @Test
    void detectsThisMachine() {
        CpuTarget target = new CpuTarget();
        HardwareReport report = target.detect();

        assertEquals("cpu", target.name());
        assertFalse(target.description().isEmpty());
        assertTrue(report.usable());
        assertEquals(1, report.devices().size());
    }
}
