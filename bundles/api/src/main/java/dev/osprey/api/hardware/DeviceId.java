package dev.osprey.api.hardware;

import java.util.Locale;

/**
 * A device as users write it in {@code --device}: {@code cpu}, {@code cuda:N} or {@code npu:N}
 * ({@code cuda} and {@code npu} alone mean index 0).
 *
 * @param kind the hardware-target name: {@code cpu}, {@code cuda}, {@code npu}, or a plugin's own
 * @param index the device index within its kind; 0 for the CPU
 */
public record DeviceId(String kind, int index) {

    /** The CPU. */
    public static final DeviceId CPU = new DeviceId("cpu", 0);

    public DeviceId {
        if (kind == null || !kind.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("device kind must be lower-case letters or digits, was '" + kind + "'");
        }
        if (index < 0) {
            throw new IllegalArgumentException("device index must be >= 0, was " + index);
        }
    }

    /**
     * Parses {@code cpu}, {@code cuda:1}, {@code npu:0}, ...
     *
     * @throws IllegalArgumentException with the accepted spellings when {@code text} is malformed
     */
    public static DeviceId parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("--device is empty; use cpu, cuda:N or npu:N");
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        int colon = t.indexOf(':');
        String kind = colon < 0 ? t : t.substring(0, colon);
        int index = 0;
        if (colon >= 0) {
            try {
                index = Integer.parseInt(t.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "--device '" + text + "': the index after ':' must be a number; use cpu, cuda:N or npu:N");
            }
        }
        try {
            return new DeviceId(kind, index);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "--device '" + text + "': " + e.getMessage() + "; use cpu, cuda:N or npu:N");
        }
    }

    @Override
    public String toString() {
        return "cpu".equals(kind) ? "cpu" : kind + ":" + index;
    }
}
