package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.registry.SocketRecord.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class CountsTest {

    /** OPEN, OPEN_EPHEMERAL, EPHEMERAL_ALLOCATED, BINDS, CONNECTS, ACCEPTS, CLOSES, DROPPED_HISTORY, AWAITING. */
    private static long[] counters(long... values) {
        return values;
    }

    /**
     * Each event, counted alone, moves exactly the counters that the registry moved one by one before an
     * event became one cell: a /proc record's open and close move no event counter, a hook's move its role's.
     */
    @Test
    void eachEventMovesTheCountersItMovedOneByOne() {
        Object[][] table = {
                {Counts.opened(true, Role.BIND, true), counters(1, 1, 1, 1, 0, 0, 0, 0, 0)},
                {Counts.opened(true, Role.BIND, false), counters(1, 0, 0, 1, 0, 0, 0, 0, 0)},
                {Counts.opened(true, Role.LISTEN, true), counters(1, 1, 1, 1, 0, 0, 0, 0, 0)},
                {Counts.opened(true, Role.LISTEN, false), counters(1, 0, 0, 1, 0, 0, 0, 0, 0)},
                {Counts.opened(true, Role.CONNECT, true), counters(1, 1, 1, 0, 1, 0, 0, 0, 0)},
                {Counts.opened(true, Role.CONNECT, false), counters(1, 0, 0, 0, 1, 0, 0, 0, 0)},
                {Counts.opened(true, Role.ACCEPT, false), counters(1, 0, 0, 0, 0, 1, 0, 0, 0)},
                {Counts.opened(true, Role.ACCEPT, true), counters(1, 1, 1, 0, 0, 1, 0, 0, 0)},
                {Counts.opened(false, Role.LISTEN, false), counters(1, 0, 0, 0, 0, 0, 0, 0, 0)},
                {Counts.opened(false, Role.CONNECT, true), counters(1, 1, 0, 0, 0, 0, 0, 0, 0)},
                {Counts.opened(false, Role.BIND, true), counters(1, 1, 0, 0, 0, 0, 0, 0, 0)},
                {Counts.closed(true, true), counters(-1, -1, 0, 0, 0, 0, 1, 0, 0)},
                {Counts.closed(true, false), counters(-1, 0, 0, 0, 0, 0, 1, 0, 0)},
                {Counts.closed(false, true), counters(-1, -1, 0, 0, 0, 0, 0, 0, 0)},
                {Counts.closed(false, false), counters(-1, 0, 0, 0, 0, 0, 0, 0, 0)},
                {Counts.forgotten(true), counters(-1, -1, 0, 0, 0, 0, 0, 0, 0)},
                {Counts.forgotten(false), counters(-1, 0, 0, 0, 0, 0, 0, 0, 0)},
                {Counts.CONNECTED_BOUND, counters(0, 0, 0, 0, 1, 0, 0, 0, 0)},
                {Counts.HISTORY_DROPS, counters(0, 0, 0, 0, 0, 0, 0, 1, 0)},
                {Counts.AWAITING_ENTRIES, counters(0, 0, 0, 0, 0, 0, 0, 0, 1)},
        };
        for (Object[] row : table) {
            Counts counts = new Counts(4);
            counts.add(counts.stripe(), (Integer) row[0], 1);
            assertThat(counts.totals()).as("cell %d", row[0]).containsExactly((long[]) row[1]);
        }
    }

    @Test
    void noTwoEventsShareACell() {
        List<Integer> cells = new ArrayList<>();
        for (boolean hook : new boolean[] {true, false}) {
            for (boolean ephemeral : new boolean[] {true, false}) {
                for (Role role : Role.values()) {
                    cells.add(Counts.opened(hook, role, ephemeral));
                }
                cells.add(Counts.closed(hook, ephemeral));
            }
        }
        cells.addAll(List.of(Counts.forgotten(true), Counts.forgotten(false), Counts.CONNECTED_BOUND,
                Counts.AWAITING_ENTRIES, Counts.HISTORY_DROPS));
        assertThat(cells).doesNotHaveDuplicates().allSatisfy(c -> assertThat(c).isBetween(0, 31));
    }

    /**
     * More threads than stripes, each opening and closing on its own stripe, and closing on another
     * thread's half the time (as a socket opened by one thread and closed by another does): the totals
     * are exact, and no counter takes another's counts.
     */
    @Test
    void totalsFromManyThreadsAreExactAndCountersStayApart() throws Exception {
        Counts counts = new Counts(4);
        int threads = 12;
        int events = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < events; i++) {
                    int stripe = counts.stripe();
                    counts.add(stripe, Counts.opened(true, Role.CONNECT, true), 1);
                    counts.add(stripe, Counts.CONNECTED_BOUND, 1);
                    // The close of an earlier socket, counted on whichever stripe its closing thread has.
                    counts.add(i % 2 == 0 ? stripe : (stripe + 1) & 3, Counts.closed(true, true), 1);
                    counts.add(stripe, Counts.AWAITING_ENTRIES, 1);
                }
            });
            workers.add(w);
            w.start();
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }

        long all = (long) threads * events;
        assertThat(counts.totals()).containsExactly(counters(0, 0, all, 0, 2 * all, 0, all, 0, all));
    }

    @Test
    void aThreadKeepsItsStripeAndTheStripesAreAPowerOfTwo() {
        Counts counts = new Counts(3);
        int stripe = counts.stripe();
        assertThat(counts.stripe()).isEqualTo(stripe);
        assertThat(stripe).isBetween(0, 3);
        counts.add(3, Counts.HISTORY_DROPS, 5);
        counts.add(0, Counts.HISTORY_DROPS, 2);
        assertThat(counts.sum(Counts.HISTORY_DROPS)).as("4 stripes, each summed").isEqualTo(7);
    }
}
