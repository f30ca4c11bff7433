package dev.osprey.devtools.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** PyTorch's profiler around real operations: the trace is written and its top-level operators counted once each. */
class OpProfileTest {

    @Test
    void countsEachTopLevelOperatorOnceAndNotTheKernelsInsideIt(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("trace.json");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(4, 64));
            NDArray w = manager.randomNormal(new Shape(64, 32));
            OpProfile.record(
                    () -> {
                        for (int i = 0; i < 3; i++) {
                            x.matMul(w).add(1f).close(); // matmul runs aten::mm inside it
                        }
                    },
                    trace);
        }
        assertTrue(Files.size(trace) > 0, "no trace written");
        Map<String, OpProfile.OpTotal> byName =
                OpProfile.topLevel(trace).stream().collect(Collectors.toMap(OpProfile.OpTotal::name, t -> t));
        assertEquals(3, byName.get("aten::matmul").calls(), byName.toString());
        assertEquals(3, byName.get("aten::add").calls(), byName.toString());
        // aten::mm only ever runs inside aten::matmul here, so it is no top-level operator
        assertTrue(!byName.containsKey("aten::mm"), byName.toString());
        assertTrue(byName.get("aten::matmul").micros() > 0);

        StringWriter text = new StringWriter();
        List<OpProfile.OpTotal> totals = OpProfile.topLevel(trace);
        OpProfile.print(new PrintWriter(text, true), totals, 3, 10);
        assertTrue(text.toString().contains("aten::matmul"), text.toString());
    }
}
