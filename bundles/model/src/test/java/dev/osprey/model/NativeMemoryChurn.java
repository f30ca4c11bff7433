package dev.osprey.model;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * What a loaded machine does between a forward and a backward pass, on demand: a garbage collection that
 * frees every direct buffer nothing references any more, then new buffers that take over the freed memory
 * and fill it with other bytes. An operand that autograd kept in such a buffer reads those bytes in the
 * backward pass, so a gradient taken across {@link #now()} differs from one taken without it.
 */
public final class NativeMemoryChurn {

    private NativeMemoryChurn() {}

    /** Collects until the direct-buffer count drops (up to a second), then reallocates the freed memory. */
    public static void now() {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct"))
                .findFirst()
                .orElseThrow();
        long before = direct.getCount();
        for (int i = 0; i < 50 && direct.getCount() >= before; i++) {
            System.gc(); // direct buffers are freed by their cleaners, which run after the collection finds them
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        List<ByteBuffer> reuse = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4 + (i % 64) * 4); // the small sizes scalars and masks have
            while (b.hasRemaining()) {
                b.put((byte) 0x7f); // 0x7f7f7f7f: a huge float, so a read of it cannot pass unnoticed
            }
            reuse.add(b);
        }
        reuse.clear();
    }
}
