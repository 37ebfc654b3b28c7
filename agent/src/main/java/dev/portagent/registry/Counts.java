package dev.portagent.registry;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The registry's event counters, striped by thread. A stripe holds every cell, on cache lines of its own,
 * and a thread always uses the same stripe: one socket event writes one line that its thread mostly has to
 * itself. With a {@code LongAdder} per counter it wrote one line per counter, each shared by all threads (an
 * adder has at most as many cells as CPUs).
 *
 * <p>A cell counts one kind of event, not one counter: an open moves up to four counters (open, open
 * ephemeral, its role's, ephemeral allocated) and a close up to three, and each move was a locked add.
 * Now each event is one add to the cell of its kind (hook or /proc, role, ephemeral or not), and
 * {@link #totals()} derives the counters. A total is exact once the events it counts are over, as a
 * {@code LongAdder}'s sum is.
 */
final class Counts {

    // The counters, indices into totals().
    static final int OPEN = 0;
    static final int OPEN_EPHEMERAL = 1;
    static final int EPHEMERAL_ALLOCATED = 2;
    static final int BINDS = 3;
    static final int CONNECTS = 4;
    static final int ACCEPTS = 5;
    static final int CLOSES = 6;
    static final int DROPPED_HISTORY = 7;
    static final int AWAITING = 8;
    static final int COUNTERS = 9;

    // The cells. Opens: by origin (a hook's or /proc's), role and ephemeral, 16 cells from OPENED.
    private static final int OPENED = 0;
    private static final int ROLES = SocketRecord.Role.values().length;
    // Closes by origin and ephemeral, 4 cells; forgotten records by ephemeral, 2.
    private static final int CLOSED = OPENED + 2 * ROLES * 2;
    private static final int FORGOTTEN = CLOSED + 4;
    /** A connect of a socket already open (bound first, or UDP): a connect, no new port. */
    static final int CONNECTED_BOUND = FORGOTTEN + 2;
    /** How many Awaiting entries the open map holds (+1, -1). */
    static final int AWAITING_ENTRIES = CONNECTED_BOUND + 1;
    static final int HISTORY_DROPS = AWAITING_ENTRIES + 1;
    private static final int CELLS = HISTORY_DROPS + 1;
    // 32 longs: a stripe's cells and the padding that keeps the next stripe off its lines.
    private static final int STRIDE = 32;

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

    static int opened(boolean byHook, SocketRecord.Role role, boolean ephemeral) {
        return OPENED + ((byHook ? ROLES : 0) + role.ordinal()) * 2 + (ephemeral ? 1 : 0);
    }

    static int closed(boolean byHook, boolean ephemeral) {
        return CLOSED + (byHook ? 2 : 0) + (ephemeral ? 1 : 0);
    }

    static int forgotten(boolean ephemeral) {
        return FORGOTTEN + (ephemeral ? 1 : 0);
    }

    /** The calling thread's stripe. */
    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same number
    int stripe() {
        return (int) Thread.currentThread().getId() & mask;
    }

    void add(int stripe, int cell, long delta) {
        cells.getAndAdd((stripe + 1) * STRIDE + cell, delta);
    }

    /** One cell over all stripes. */
    long sum(int cell) {
        long sum = 0;
        for (int s = 0; s <= mask; s++) {
            sum += cells.get((s + 1) * STRIDE + cell);
        }
        return sum;
    }

    /** The counters, indexed by {@link #OPEN} and the others. */
    long[] totals() {
        long[] e = new long[CELLS];
        for (int c = 0; c < CELLS; c++) {
            e[c] = sum(c);
        }
        long[] t = new long[COUNTERS];
        for (int hook = 0; hook < 2; hook++) {
            for (SocketRecord.Role role : SocketRecord.Role.values()) {
                for (int eph = 0; eph < 2; eph++) {
                    long n = e[opened(hook == 1, role, eph == 1)];
                    t[OPEN] += n;
                    if (eph == 1) {
                        t[OPEN_EPHEMERAL] += n;
                    }
                    if (hook == 1) {
                        if (eph == 1) {
                            t[EPHEMERAL_ALLOCATED] += n;
                        }
                        t[switch (role) {
                            case CONNECT -> CONNECTS;
                            case ACCEPT -> ACCEPTS;
                            default -> BINDS;
                        }] += n;
                    }
                }
            }
            for (int eph = 0; eph < 2; eph++) {
                long n = e[closed(hook == 1, eph == 1)];
                t[OPEN] -= n;
                if (eph == 1) {
                    t[OPEN_EPHEMERAL] -= n;
                }
                if (hook == 1) {
                    t[CLOSES] += n;
                }
            }
        }
        t[OPEN] -= e[forgotten(false)] + e[forgotten(true)];
        t[OPEN_EPHEMERAL] -= e[forgotten(true)];
        t[CONNECTS] += e[CONNECTED_BOUND];
        t[DROPPED_HISTORY] = e[HISTORY_DROPS];
        t[AWAITING] = e[AWAITING_ENTRIES];
        return t;
    }
}
