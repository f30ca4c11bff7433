package dev.osprey.model.nn;

import java.util.function.Supplier;

/** A per-thread switch that is on for the length of one call, then back to what it was. */
final class ThreadFlag {

    private final ThreadLocal<Boolean> on = ThreadLocal.withInitial(() -> false);

    boolean isOn() {
        return on.get();
    }

    <T> T during(boolean value, Supplier<T> call) {
        boolean previous = on.get();
        on.set(value);
        try {
            return call.get();
        } finally {
            on.set(previous);
        }
    }
}
