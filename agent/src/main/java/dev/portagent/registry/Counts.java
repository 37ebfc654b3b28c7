package dev.portagent.registry;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The registry's event counters, striped by thread. A stripe holds every counter, on cache lines of its
 * own, and a thread always uses the same stripe: one socket event, which moves two to five counters,
 * writes one line that its thread mostly has to itself. With a {@code LongAdder} per counter it wrote
 * one line per counter, each shared by all threads (an adder has at most as many cells as CPUs).
 * A sum is exact once the events it counts are over, as a {@code LongAdder}'s is.
 */
final class Counts {

    static final int OPEN = 0;
    static final int OPEN_EPHEMERAL = 1;
    static final int EPHEMERAL_ALLOCATED = 2;
    static final int BINDS = 3;
    static final int CONNECTS = 4;
    static final int ACCEPTS = 5;
    static final int CLOSES = 6;
    static final int DROPPED_HISTORY = 7;
    static final int AWAITING = 8;
    // 16 longs: a stripe's 9 counters and the padding that keeps the next stripe off its two lines.
    private static final int STRIDE = 16;

    private final AtomicLongArray cells;
    private final int mask;

    Counts() {
        this(Runtime.getRuntime().availableProcessors() * 4);
    }

    Counts(int atLeast) {
        int stripes = Integer.highestOneBit(Math.max(atLeast, 1) * 2 - 1);
        mask = stripes - 1;
        // One stride before the first stripe: the array's header and its neighbour in the heap are not ours.
        cells = new AtomicLongArray((stripes + 1) * STRIDE);
    }

    /** The calling thread's stripe: take it once per event, for all the counters the event moves. */
    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same number
    int stripe() {
        return (int) Thread.currentThread().getId() & mask;
    }

    void add(int stripe, int counter, long delta) {
        cells.getAndAdd((stripe + 1) * STRIDE + counter, delta);
    }

    long sum(int counter) {
        long sum = 0;
        for (int s = 0; s <= mask; s++) {
            sum += cells.get((s + 1) * STRIDE + counter);
        }
        return sum;
    }
}
