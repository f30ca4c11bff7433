package dev.osprey.api.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeviceIdTest {

    @Test
    void parsesTheSpellingsUsersWrite() {
        assertEquals(DeviceId.CPU, DeviceId.parse("cpu"));
        assertEquals(DeviceId.CPU, DeviceId.parse(" CPU "));
        assertEquals(new DeviceId("cuda", 0), DeviceId.parse("cuda"));
        assertEquals(new DeviceId("cuda", 3), DeviceId.parse("cuda:3"));
        assertEquals(new DeviceId("npu", 1), DeviceId.parse("npu:1"));
        assertEquals("cuda:3", DeviceId.parse("cuda:3").toString());
        assertEquals("cpu", DeviceId.CPU.toString());
    }

    @Test
    void malformedValuesNameTheOptionAndTheAcceptedForms() {
        for (String bad : new String[] {"", "cuda:x", "cuda:-1", "gpu 0", ":1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceId.parse(bad), bad);
            assertTrue(e.getMessage().contains("--device") && e.getMessage().contains("cuda:N"), e.getMessage());
        }
    }
}
