package dev.osprey.cli.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.Hashtable;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/** {@code osprey deploy}'s access and limit options reach the server's configuration under the keys it reads. */
class DeployOptionsTest {

    static Hashtable<String, Object> properties(String... args) {
        DeployCommand deploy = new DeployCommand();
        new CommandLine(deploy).parseArgs(args);
        return deploy.serverProperties();
    }

    @Test
    void accessAndLimitOptionsBecomeServerKeys() {
        Hashtable<String, Object> p = properties(
                "--model",
                "m",
                "--host",
                "0.0.0.0",
                "--api_key_file",
                "key.txt",
                "--enable_admin",
                "--protect_metrics",
                "--adapter_roots",
                "/a",
                "/b",
                "--max_loras",
                "4",
                "--max_request_bytes",
                "1000",
                "--read_timeout",
                "2.5",
                "--max_sequences_per_request",
                "8",
                "--max_queued_tokens",
                "9000");
        assertEquals("0.0.0.0", p.get("host"));
        assertEquals(Path.of("key.txt").toAbsolutePath().toString(), p.get("api_key_file"));
        assertEquals("true", p.get("enable_admin"));
        assertEquals("true", p.get("protect_metrics"));
        assertArrayEquals(new String[] {"/a", "/b"}, (String[]) p.get("adapter_roots"));
        assertEquals("4", p.get("max_loras"));
        assertEquals("1000", p.get("max_request_bytes"));
        assertEquals("2.5", p.get("read_timeout"));
        assertEquals("8", p.get("max_sequences_per_request"));
        assertEquals("9000", p.get("max_queued_tokens"));
        assertFalse(p.containsKey("api_key"), "no key given, so the server looks in the file and the environment");
    }

    @Test
    void quantizationOptionsReachTheBackendSettings() {
        Hashtable<String, Object> p = properties("--model", "m", "--quant_bits", "4", "--quant_type", "int4");
        assertEquals("4", p.get("quant_bits"));
        assertEquals("int4", p.get("quant_type"));
        assertFalse(properties("--model", "m").containsKey("quant_bits"), "dense unless asked");
    }

    @Test
    void adminAndMetricsStayClosedByDefault() {
        Hashtable<String, Object> p = properties("--model", "m");
        assertFalse(p.containsKey("enable_admin"));
        assertFalse(p.containsKey("protect_metrics"));
        assertEquals("127.0.0.1", p.get("host"));
    }
}
