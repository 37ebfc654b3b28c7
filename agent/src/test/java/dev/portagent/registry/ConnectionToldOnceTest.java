package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.proc.EphemeralRange;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Ephemeral-port pressure hears of a connection on the thread that connects and of its close on the
 * thread that closes. When the two race on one socket (a socket bound to port 0 connects while another
 * thread closes it), the observer still hears the close once, after the open, or of neither.
 */
class ConnectionToldOnceTest {

    private static final EphemeralRange RANGE = new EphemeralRange(40000, 49999, "test");

    @Test
    void aConnectRacingWithTheCloseOfTheSameSocketIsToldClosedOnceAfterItsOpen() throws Exception {
        Registry registry = new Registry(RANGE, 0, 10, () -> 0);
        FakeKernel kernel = new FakeKernel(false, RANGE.low());
        Recorder recorder = new Recorder(registry, kernel, 0, 0, true);
        Set<Object> open = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger closedTwiceOrBeforeOpen = new AtomicInteger();
        AtomicInteger closedByTheConnectingThread = new AtomicInteger();
        ThreadLocal<Boolean> connecting = ThreadLocal.withInitial(() -> false);
        registry.observe(new RegistryObserver() {
            @Override
            public boolean wants(boolean udp, String role, boolean ephemeral) {
                return false;
            }

            @Override
            public Object connectionOpened(InetAddress remote, boolean ipv6Socket, int remotePort) {
                Object connection = new Object();
                // Some work, as counting does: a close on the other thread may land meanwhile.
                for (int i = ThreadLocalRandom.current().nextInt(200); i > 0; i--) {
                    Thread.onSpinWait();
                }
                open.add(connection);
                opened.incrementAndGet();
                return connection;
            }

            @Override
            public void connectionClosed(Object connection, long closedAt, boolean failed) {
                if (!open.remove(connection) || closedAt == 0) {
                    closedTwiceOrBeforeOpen.incrementAndGet();
                }
                if (connecting.get()) {
                    closedByTheConnectingThread.incrementAndGet();
                }
            }

            @Override
            public void opened(SocketView socket) {
            }

            @Override
            public void closed(SocketView socket) {
            }

            @Override
            public void warned(Warning warning) {
            }
        });
        int tries = 20_000;
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < tries; i++) {
                FileDescriptor fd = new FileDescriptor();
                recorder.bound(null, fd, FakeKernel.LOOPBACK, 0);
                SocketRecord r = (SocketRecord) registry.get(fd);
                Future<?> connect = threads.submit(() -> {
                    connecting.set(true);
                    start.await();
                    // what the recorder does for a bound socket that connects, with the record it read before
                    r.role = SocketRecord.Role.CONNECT;
                    r.peer(FakeKernel.LOOPBACK, 80);
                    registry.connectedBound(r);
                    return null;
                });
                Future<?> close = threads.submit(() -> {
                    connecting.set(false); // a pool thread: it may have connected in an earlier try
                    start.await();
                    for (int spin = ThreadLocalRandom.current().nextInt(2000); spin > 0; spin--) {
                        Thread.onSpinWait(); // sometimes after the connect, sometimes during it, sometimes before
                    }
                    recorder.closed(fd);
                    return null;
                });
                connect.get();
                close.get();
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(closedTwiceOrBeforeOpen).hasValue(0);
        assertThat(open).as("connections never told closed").isEmpty();
        // Both orders, and the race between them, happened.
        assertThat(opened.get()).isPositive().isLessThan(tries);
        assertThat(closedByTheConnectingThread.get()).as("closes told by the connecting thread").isPositive()
                .isLessThan(opened.get());
    }
}
