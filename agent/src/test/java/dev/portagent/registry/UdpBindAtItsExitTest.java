package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.proc.EphemeralRange;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * A UDP bind recorded once at the exit of DatagramChannelImpl.bindInternal, with the Net.bind and
 * Net.localAddress hooks inside it standing aside, makes the record the hooks made before: same socket,
 * same counters, no question to the OS; and a close or a failure in between leaves what it left before.
 */
class UdpBindAtItsExitTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final EphemeralRange RANGE = new EphemeralRange(32768, 60999, "test");

    private final FakeKernel kernel = new FakeKernel(true, 50000);
    private final Registry registry = new Registry(RANGE, 0, 100, () -> 0);
    private final Recorder recorder = new Recorder(registry, kernel, 0, 0, true);

    /** DatagramChannelImpl.bindInternal on 17 and 25 with its hooks: entry, Net.bind, Net.localAddress, exit. */
    private InetSocketAddress bindInternal(FileDescriptor fd, InetSocketAddress requested) {
        recorder.udpBindStarts();
        int port = requested == null ? 0 : requested.getPort();
        InetAddress address = requested == null ? null : requested.getAddress();
        if (port == 0) {
            recorder.boundToAnyPort(null, fd, address);
        } else {
            recorder.bound(null, fd, address, port);
        }
        InetSocketAddress local = kernel.jdkReads(fd);
        recorder.localAddress(fd, local);
        recorder.udpBound(null, fd, requested, local);
        return local;
    }

    /** The same bind as the hooks saw it before, or on a JDK without bindInternal: no entry, no exit. */
    private void bindWithoutItsExit(FileDescriptor fd, InetSocketAddress requested) {
        int port = requested == null ? 0 : requested.getPort();
        if (port == 0) {
            recorder.boundToAnyPort(null, fd, null);
        } else {
            recorder.bound(null, fd, requested.getAddress(), port);
        }
        recorder.localAddress(fd, kernel.jdkReads(fd));
    }

    private FileDescriptor udpSocketOn(int port) {
        FileDescriptor fd = kernel.socketOn(port);
        recorder.created(null, fd, true, false);
        return fd;
    }

    @Test
    void aBindToAnyPortIsTheRecordTheHooksMadeBefore() {
        bindWithoutItsExit(udpSocketOn(40001), null);
        bindInternal(udpSocketOn(40002), null);

        Snapshot s = registry.snapshot();
        assertThat(s.open()).hasSize(2);
        SocketView before = s.open().get(0);
        SocketView now = s.open().get(1);
        assertThat(now).usingRecursiveComparison().ignoringFields("id", "localPort", "openedAt").isEqualTo(before);
        assertThat(now.localPort()).isEqualTo(40002);
        assertThat(now.protocol()).isEqualTo("udp");
        assertThat(now.role()).isEqualTo("bind");
        assertThat(now.ephemeral()).isTrue();
        assertThat(now.inEphemeralRange()).isTrue();
        assertThat(s.counters().binds()).isEqualTo(2);
        assertThat(s.counters().ephemeralAllocated()).isEqualTo(2);
        assertThat(kernel.asked()).as("the JDK's answers suffice either way").isZero();
    }

    @Test
    void aBindToAFixedPortIsTheRecordTheHooksMadeBefore() {
        bindWithoutItsExit(udpSocketOn(5001), new InetSocketAddress(LOOPBACK, 5001));
        bindInternal(udpSocketOn(5002), new InetSocketAddress(LOOPBACK, 5002));

        Snapshot s = registry.snapshot();
        SocketView before = s.open().get(0);
        SocketView now = s.open().get(1);
        assertThat(now).usingRecursiveComparison().ignoringFields("id", "localPort", "requestedPort", "openedAt")
                .isEqualTo(before);
        assertThat(now.requestedPort()).isEqualTo(5002);
        assertThat(now.ephemeral()).isFalse();
    }

    @Test
    void aSocketClosedBeforeTheBindEndsLeavesNoTraceAsBefore() {
        FileDescriptor fd = udpSocketOn(40003);
        recorder.udpBindStarts();
        recorder.boundToAnyPort(null, fd, null);
        recorder.closed(fd);
        recorder.udpBound(null, fd, null, kernel.jdkReads(fd));

        Snapshot s = registry.snapshot();
        assertThat(s.open()).isEmpty();
        assertThat(s.closed()).isEmpty();
        assertThat(s.counters().binds()).isZero();
        assertThat(s.counters().open()).isZero();
    }

    @Test
    void aFailedBindRecordsNothingAndTheThreadsNextBindIsSeen() {
        FileDescriptor failed = new FileDescriptor();
        kernel.put(failed, new InetSocketAddress(LOOPBACK, 0)); // getsockname of a socket never bound
        recorder.created(null, failed, true, false);
        recorder.udpBindStarts();
        recorder.udpBound(null, failed, new InetSocketAddress(LOOPBACK, 5003), null); // "Address already in use"

        FileDescriptor listener = kernel.socketOn(45001);
        recorder.created(null, listener, false, true);
        recorder.boundToAnyPort(null, listener, null);
        recorder.localAddress(listener, kernel.jdkReads(listener));

        assertThat(registry.snapshot().open()).singleElement()
                .satisfies(v -> assertThat(v.role()).isEqualTo("listen"));
    }

    @Test
    void aBoundSocketWhoseAnswerFailedIsAskedOfTheOs() {
        FileDescriptor fd = udpSocketOn(40004);
        recorder.udpBindStarts();
        recorder.boundToAnyPort(null, fd, null);
        recorder.udpBound(null, fd, null, null); // Net.localAddress threw after Net.bind

        assertThat(registry.snapshot().open()).singleElement().satisfies(v -> {
            assertThat(v.protocol()).isEqualTo("udp");
            assertThat(v.localPort()).isEqualTo(40004);
        });
        assertThat(kernel.asked()).isEqualTo(1);
    }

    @Test
    void aSocketCreatedBeforeTheAgentIsLeftToTheProcScan() {
        // No created hook: it was opened before the agent. Its Net.bind hook used to record it as TCP, unable
        // to tell; now the /proc scan finds it, as UDP.
        FileDescriptor fd = kernel.socketOn(40005);
        bindInternal(fd, null);

        assertThat(registry.snapshot().open()).isEmpty();
    }

    @Test
    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+
    void twoThreadsOnOneMarkSlotBindingAtOnceRecordEachSocketOnce() throws Exception {
        // The recorder marks a thread inside a UDP bind in a slot by its id modulo 64: two threads on one slot.
        Map<Thread, Runnable> steps = new ConcurrentHashMap<>();
        Map<Long, Thread> bySlot = new HashMap<>();
        Thread first = null;
        Thread second = null;
        while (second == null) {
            Thread t = new Thread(() -> steps.get(Thread.currentThread()).run());
            first = bySlot.putIfAbsent(t.getId() % 64, t);
            second = first == null ? null : t;
        }
        FileDescriptor firstSocket = udpSocketOn(40006);
        FileDescriptor secondSocket = udpSocketOn(40007);
        CountDownLatch firstMarked = new CountDownLatch(1);
        CountDownLatch secondMarked = new CountDownLatch(1);
        CountDownLatch firstBound = new CountDownLatch(1);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        steps.put(first, () -> {
            try {
                try {
                    recorder.udpBindStarts();
                } finally {
                    firstMarked.countDown();
                }
                secondMarked.await();
                // Its mark is the second thread's now: its Net.bind and Net.localAddress hooks record the socket,
                // as on a JDK without bindInternal, and its exit finds nothing pending.
                bindInternalAfterItsEntry(firstSocket);
            } catch (Throwable t) {
                failures.add(t);
            } finally {
                firstBound.countDown();
            }
        });
        steps.put(second, () -> {
            try {
                try {
                    firstMarked.await();
                    recorder.udpBindStarts();
                } finally {
                    secondMarked.countDown();
                }
                firstBound.await();
                bindInternalAfterItsEntry(secondSocket);
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        first.start();
        second.start();
        first.join();
        second.join();

        assertThat(failures).isEmpty();
        Snapshot s = registry.snapshot();
        assertThat(s.open()).extracting(SocketView::localPort).containsExactlyInAnyOrder(40006, 40007);
        assertThat(s.open()).allSatisfy(v -> assertThat(v.protocol()).isEqualTo("udp"));
        assertThat(s.counters().binds()).isEqualTo(2);
        assertThat(s.counters().open()).isEqualTo(2);
    }

    /** bindInternal to any port, from Net.bind's hook on. */
    private void bindInternalAfterItsEntry(FileDescriptor fd) {
        recorder.boundToAnyPort(null, fd, null);
        InetSocketAddress local = kernel.jdkReads(fd);
        recorder.localAddress(fd, local);
        recorder.udpBound(null, fd, null, local);
    }
}
