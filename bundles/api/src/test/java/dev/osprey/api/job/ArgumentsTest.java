package dev.osprey.api.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ArgumentsTest {

    private final Arguments args = Arguments.of(Map.of(
            "lora_rank", 8, "learning_rate", "1e-4", "packing", "true", "target_modules", List.of("q_proj", "v_proj")));

    @Test
    void typedGettersParseAndDefault() {
        assertEquals(8, args.getInt("lora_rank", 0));
        assertEquals(1e-4, args.getDouble("learning_rate", 0), 0);
        assertTrue(args.getBoolean("packing", false));
        assertEquals(List.of("q_proj", "v_proj"), args.getList("target_modules"));
        assertEquals(16, args.getInt("lora_alpha", 16));
        assertFalse(args.has("lora_alpha"));
    }

    @Test
    void malformedValuesNameTheOption() {
        Arguments bad = Arguments.of(Map.of("lora_rank", "eight", "packing", "maybe"));
        assertEquals(
                "--lora_rank must be an integer, was 'eight'",
                assertThrows(IllegalArgumentException.class, () -> bad.getInt("lora_rank", 0))
                        .getMessage());
        assertEquals(
                "--packing must be true or false, was 'maybe'",
                assertThrows(IllegalArgumentException.class, () -> bad.getBoolean("packing", false))
                        .getMessage());
    }

    @Test
    void withReturnsACopyAndKeepsOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", 1);
        m.put("a", 2);
        Arguments original = Arguments.of(m);
        Arguments changed = original.with("c", 3);
        assertEquals(List.of("b", "a"), List.copyOf(original.names()));
        assertEquals(List.of("b", "a", "c"), List.copyOf(changed.names()));
    }
}
