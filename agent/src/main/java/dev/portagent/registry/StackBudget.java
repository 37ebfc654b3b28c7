package dev.portagent.registry;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Decides, on the socket path, which sockets get their stack taken. The JVM's stack walk is the one
 * cost of the agent that grows with the socket rate without bound (2-5 µs a socket, more for deep
 * stacks); past {@code perSecond} sockets in a second it is spent on an even sample, and the other
 * records say so in place of a site.
 *
 * <p>Each window of a second takes at most {@code perSecond} stacks. While sockets come slower than
 * half of that every one is taken. Faster, one in N is taken, N chosen from the previous window's rate
 * so that the sample uses half the budget; the other half is for bursts and for {@code priority}
 * sockets (listeners and explicit ports, the ones "Address already in use" is about), which are taken
 * whenever the window has budget left. Which one in N is decided by a hash of the record's id, not a
 * counter, so that a loop alternating between call sites cannot land on only one of them.
 */
final class StackBudget {

    private static final long WINDOW_MILLIS = 1000;

    private static final class Window {
        final long start;
        final long firstId;
        final int oneIn;
        final AtomicInteger taken = new AtomicInteger();

        Window(long start, long firstId, int oneIn) {
            this.start = start;
            this.firstId = firstId;
            this.oneIn = oneIn;
        }
    }

    private final int perSecond;
    private final AtomicReference<Window> window;

    /** {@code perSecond} 0: every socket's stack is taken. */
    StackBudget(int perSecond) {
        this.perSecond = perSecond;
        this.window = new AtomicReference<>(new Window(Long.MIN_VALUE / 2, 0, 1));
    }

    /** {@code id} is the record's, from one counter that every new record takes the next value of. */
    boolean take(long now, long id, boolean priority) {
        if (perSecond == 0) {
            return true;
        }
        Window w = window.get();
        // A clock set back by more than a window starts a new one, rather than none until it catches up.
        // Less is a thread whose time was read just before another thread started this window: it
        // belongs here, and starting yet another window would give that second its budget twice.
        if (now - w.start >= WINDOW_MILLIS || w.start - now > WINDOW_MILLIS) {
            w = next(w, now, id);
        }
        if (!priority && w.oneIn > 1 && (mix(id) >>> 1) % w.oneIn != 0) {
            return false;
        }
        // Read before counting: once the window is spent, the sockets that follow write nothing shared.
        return w.taken.get() < perSecond && w.taken.getAndIncrement() < perSecond;
    }

    private Window next(Window w, long now, long id) {
        long elapsed = Math.max(now - w.start, WINDOW_MILLIS);
        long seen = Math.max(id - w.firstId, 0);
        // The rate of the window that ended: a window long ago (or the first) says "slow", and every
        // socket is taken until this window's budget is spent.
        long perSecondSeen = elapsed > WINDOW_MILLIS * 60 ? 0 : seen * WINDOW_MILLIS / elapsed;
        long half = Math.max(perSecond / 2, 1);
        int oneIn = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (perSecondSeen + half - 1) / half));
        Window n = new Window(now, id, oneIn);
        return window.compareAndSet(w, n) ? n : window.get();
    }

    /** A 64-bit finaliser (splitmix64's): consecutive ids spread over every residue. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
