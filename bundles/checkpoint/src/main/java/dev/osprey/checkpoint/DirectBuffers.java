package dev.osprey.checkpoint;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Frees a direct buffer now rather than when the garbage collector gets to it. Loading a checkpoint reads
 * each tensor into a direct buffer; with a small Java heap the collector seldom runs, and the buffers of
 * tensors already converted pile up (loading a 7B model in 4 bits peaked at twice the memory it kept).
 * Uses {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported), found through the platform class
 * loader so no OSGi import is needed; where it is missing the buffer is left to the collector.
 */
final class DirectBuffers {

    private static final MethodHandle INVOKE_CLEANER = invokeCleaner();

    private DirectBuffers() {}

    private static MethodHandle invokeCleaner() {
        try {
            Class<?> unsafeClass = ClassLoader.getPlatformClassLoader().loadClass("sun.misc.Unsafe");
            Field field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            Object unsafe = field.get(null);
            return MethodHandles.lookup()
                    .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(unsafe);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** Frees {@code buffer}, which nothing may use afterwards; a heap buffer or a missing Unsafe is a no-op. */
    static void free(ByteBuffer buffer) {
        if (INVOKE_CLEANER == null || buffer == null || !buffer.isDirect()) {
            return;
        }
        try {
            INVOKE_CLEANER.invokeExact(buffer);
        } catch (Throwable e) {
            // a slice or duplicate cannot be freed this way: the collector frees it
        }
    }
}
