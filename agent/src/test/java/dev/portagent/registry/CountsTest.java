package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class CountsTest {

    /**
     * More threads than stripes, each opening and closing on its own stripe, and closing on another
     * thread's half the time (as a socket opened by one thread and closed by another does): the sums
     * are exact, and no counter takes another's counts.
     */
    @Test
    void sumsFromManyThreadsAreExactAndCountersStayApart() throws Exception {
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
                    counts.add(stripe, Counts.OPEN, 1);
                    counts.add(stripe, Counts.CONNECTS, 1);
                    // The close of an earlier socket, counted on whichever stripe its closing thread has.
                    counts.add(i % 2 == 0 ? stripe : (stripe + 1) & 3, Counts.OPEN, -1);
                    counts.add(stripe, Counts.CLOSES, 1);
                    counts.add(stripe, Counts.AWAITING, 1);
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
        assertThat(counts.sum(Counts.OPEN)).isZero();
        assertThat(counts.sum(Counts.CONNECTS)).isEqualTo(all);
        assertThat(counts.sum(Counts.CLOSES)).isEqualTo(all);
        assertThat(counts.sum(Counts.AWAITING)).isEqualTo(all);
        for (int c : new int[] {Counts.OPEN_EPHEMERAL, Counts.EPHEMERAL_ALLOCATED, Counts.BINDS, Counts.ACCEPTS,
                Counts.DROPPED_HISTORY}) {
            assertThat(counts.sum(c)).as("counter %d", c).isZero();
        }
    }

    @Test
    void aThreadKeepsItsStripeAndTheStripesAreAPowerOfTwo() {
        Counts counts = new Counts(3);
        int stripe = counts.stripe();
        assertThat(counts.stripe()).isEqualTo(stripe);
        assertThat(stripe).isBetween(0, 3);
        counts.add(3, Counts.BINDS, 5);
        counts.add(0, Counts.BINDS, 2);
        assertThat(counts.sum(Counts.BINDS)).as("4 stripes, each summed").isEqualTo(7);
    }
}
