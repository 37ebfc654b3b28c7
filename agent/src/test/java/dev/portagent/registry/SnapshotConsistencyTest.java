package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.proc.EphemeralRange;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * A snapshot is read while sockets open and close: a report whose summary counts a close must not list that
 * socket as open (ConcurrencyIT on JDK 25 saw 6-8 such sockets in a report whose counters were exact), and no
 * socket may be listed twice.
 */
class SnapshotConsistencyTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final EphemeralRange RANGE = new EphemeralRange(32768, 60999, "test");

    @Test
    void aSocketClosedDuringTheSnapshotIsNotShownOpenBesideCountersThatCountItsClose() {
        AtomicReference<Runnable> duringSnapshot = new AtomicReference<>();
        // The hook-failure count is asked for while the snapshot is taken: the socket closes then.
        LongSupplier failures = () -> {
            Runnable r = duringSnapshot.getAndSet(null);
            if (r != null) {
                r.run();
            }
            return 0;
        };
        Registry registry = new Registry(RANGE, 0, 100, failures);
        Recorder recorder = new Recorder(registry, new FakeKernel(false, 40000), 0, 0, true);
        FileDescriptor fd = new FileDescriptor();
        recorder.bound(null, fd, LOOPBACK, 5000);
        duringSnapshot.set(() -> recorder.closed(fd));

        Snapshot s = registry.snapshot();

        assertThat(duringSnapshot.get()).as("the socket closed during the snapshot").isNull();
        List<Integer> openPorts = s.open().stream().map(SocketView::localPort).toList();
        List<Integer> closedPorts = s.closed().stream().map(SocketView::localPort).toList();
        if (s.counters().closed() == 1) {
            assertThat(openPorts).as("counted closed, so not open").doesNotContain(5000);
        }
        assertThat(openPorts.size() + closedPorts.size()).as("shown once: open %s, closed %s", openPorts, closedPorts)
                .isEqualTo(1);
    }

    @Test
    void underChurnEverySnapshotShowsEachSocketOnce() throws Exception {
        Registry registry = new Registry(RANGE, 0, 64, () -> 0);
        Recorder recorder = new Recorder(registry, new FakeKernel(false, 40000), 0, 0, true);
        int workers = 4;
        int perWorker = 100_000;
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int port = 5000 + w;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perWorker; i++) {
                    FileDescriptor fd = new FileDescriptor();
                    recorder.bound(null, fd, LOOPBACK, port);
                    recorder.closed(fd);
                }
            }, "churn-" + w);
            t.start();
            threads.add(t);
        }
        Thread joiner = new Thread(() -> {
            for (Thread t : threads) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    return;
                }
            }
            done.set(true);
        });
        joiner.start();
        start.countDown();

        int snapshots = 0;
        while (!done.get()) {
            Snapshot s = registry.snapshot();
            snapshots++;
            Set<Long> ids = new HashSet<>();
            for (SocketView v : s.open()) {
                assertThat(ids.add(v.id())).as("socket %s listed twice", v).isTrue();
            }
            for (SocketView v : s.closed()) {
                assertThat(ids.add(v.id())).as("socket %s listed twice", v).isTrue();
            }
        }
        joiner.join();

        Snapshot last = registry.snapshot();
        assertThat(snapshots).isPositive();
        assertThat(last.open()).isEmpty();
        assertThat(last.counters().closed()).isEqualTo((long) workers * perWorker);
    }
}
