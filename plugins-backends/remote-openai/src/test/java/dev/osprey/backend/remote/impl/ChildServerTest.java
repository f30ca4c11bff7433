package dev.osprey.backend.remote.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.inference.ServedModel;

/**
 * The vllm backend's child-process life: started with vLLM's flags, waited for until healthy, stopped
 * on close; a program that exits early or is missing is reported with its output or its name. A small
 * Python HTTP server stands in for {@code vllm serve}.
 */
class ChildServerTest {

    @TempDir
    static Path dir;

    static Path fake;

    @BeforeAll
    static void script() throws IOException {
        Assumptions.assumeTrue(ChildServer.onPath("python3").isPresent(), "python3 runs the stand-in server");
        fake = dir.resolve("fake-vllm");
        try (InputStream in = ChildServerTest.class.getResourceAsStream("/fake-openai-server.py")) {
            Files.copy(in, fake);
        }
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void startsTheProgramWithVllmFlagsAndStopsItOnClose() throws Exception {
        int port = freePort();
        BackendOptions options = new BackendOptions(
                "org/model",
                "served",
                Map.of("sql", "/adapters/sql"),
                "cuda:0",
                Map.of(
                        "executable",
                        fake.toString(),
                        "port",
                        String.valueOf(port),
                        "max_model_len",
                        "128",
                        "max_num_seqs",
                        "8",
                        "startup_timeout",
                        "60"));
        InferenceSession session = new VllmBackend().open(options);
        try {
            assertEquals(List.of(new ServedModel("served", "", 128, ServedModel.ANY_INPUT)), session.models());
            assertTrue(session.healthy());
        } finally {
            session.close();
        }
        assertFalse(session.healthy());
        assertThrows(IOException.class, () -> new Socket("127.0.0.1", port).close(), "the child no longer listens");
        List<String> command = ServerKind.VLLM.command("vllm", options, port);
        assertEquals(
                List.of(
                        "vllm",
                        "serve",
                        "org/model",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        String.valueOf(port),
                        "--served-model-name",
                        "served",
                        "--max-model-len",
                        "128",
                        "--max-num-seqs",
                        "8",
                        "--enable-lora",
                        "--lora-modules",
                        "sql=/adapters/sql"),
                command);
    }

    @Test
    void aProgramThatExitsEarlyIsReportedWithItsOutput() throws Exception {
        Path failing = dir.resolve("failing-vllm");
        Files.writeString(failing, "#!/bin/sh\necho 'CUDA out of memory while loading'\nexit 3\n");
        Files.setPosixFilePermissions(failing, PosixFilePermissions.fromString("rwxr-xr-x"));
        Exception e = assertThrows(
                IOException.class,
                () -> new VllmBackend()
                        .open(new BackendOptions(
                                "m",
                                "",
                                Map.of(),
                                "cpu",
                                Map.of("executable", failing.toString(), "startup_timeout", "30"))));
        assertTrue(e.getMessage().contains("exited with code 3"), e.getMessage());
        assertTrue(e.getMessage().contains("CUDA out of memory while loading"), e.getMessage());
    }

    @Test
    void aMissingProgramIsNamed() {
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> new SglangBackend()
                        .open(new BackendOptions(
                                "m", "", Map.of(), "cpu", Map.of("executable", "no-such-python-for-osprey"))));
        assertTrue(e.getMessage().contains("`no-such-python-for-osprey`, which is not on PATH"), e.getMessage());
        assertEquals("sglang", new SglangBackend().name());
        assertEquals("lmdeploy", new LmdeployBackend().name());
    }

    /** A setting to fix, refused before any server starts: an IllegalArgumentException, which the HTTP layer answers 400. */
    @Test
    void uninstalledServersAreRefusedBeforeAnythingStarts() throws Exception {
        for (OpenAiCompatibleBackend backend : List.of(new VllmBackend(), new LmdeployBackend())) {
            String program = backend.name();
            Assumptions.assumeTrue(ChildServer.onPath(program).isEmpty(), program + " is installed here");
            Exception e = assertThrows(
                    IllegalArgumentException.class,
                    () -> backend.open(new BackendOptions("m", "", Map.of(), "cpu", Map.of())));
            assertTrue(e.getMessage().contains("`" + program + "`, which is not on PATH"), e.getMessage());
        }
        Assumptions.assumeFalse(ChildServer.hasPythonModule("python3", "sglang"), "SGLang is installed here");
        long childrenBefore = ProcessHandle.current().children().count();
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> new SglangBackend()
                        .open(new BackendOptions("m", "", Map.of(), "cpu", Map.of("startup_timeout", "5"))));
        assertTrue(e.getMessage().contains("no module sglang"), e.getMessage());
        assertEquals(
                childrenBefore,
                ProcessHandle.current()
                        .children()
                        .filter(ProcessHandle::isAlive)
                        .count(),
                "no server process was started");
    }
}
