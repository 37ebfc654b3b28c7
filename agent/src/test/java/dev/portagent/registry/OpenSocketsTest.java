package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The open sockets by fd number behave as the map by FileDescriptor object they replace, also when the
 * kernel hands a number out again before the old socket's close hook has run.
 */
class OpenSocketsTest {

    private final FakeKernel kernel = new FakeKernel(true, 50000);
    private final OpenSockets open = numbered(kernel);

    private static OpenSockets numbered(JdkSockets jdk) {
        OpenSockets o = new OpenSockets();
        o.numberWith(jdk);
        return o;
    }

    private static List<Object> values(OpenSockets o) {
        List<Object> values = new ArrayList<>();
        for (Map.Entry<FileDescriptor, Object> e : o.entries()) {
            values.add(e.getValue());
        }
        return values;
    }

    @Test
    void aSocketInItsSlotIsPutReplacedAndRemovedAsInAMap() {
        FileDescriptor fd = kernel.onNumber(7);
        assertThat(open.putIfAbsent(fd, "pending")).isNull();
        assertThat(open.putIfAbsent(fd, "other")).isEqualTo("pending");
        assertThat(open.replace(fd, "not what it holds", "record")).isFalse();
        assertThat(open.replace(fd, "pending", "record")).isTrue();
        assertThat(open.get(fd)).isEqualTo("record");
        assertThat(open.put(fd, "awaiting")).isEqualTo("record");
        assertThat(open.remove(fd)).isEqualTo("awaiting");
        assertThat(open.get(fd)).isNull();
        assertThat(open.remove(fd)).isNull();
        assertThat(open.replace(fd, "awaiting", "x")).isFalse();
        assertThat(open.entries()).isEmpty();
    }

    @Test
    void everyNumberHasASlotOfItsOwnAndTheOpenSocketsComeInNumberOrder() {
        List<FileDescriptor> fds = new ArrayList<>();
        List<Object> expected = new ArrayList<>();
        for (int n = 2047; n >= 0; n--) {
            FileDescriptor fd = kernel.onNumber(n);
            fds.add(fd);
            open.put(fd, n);
            expected.add(0, n);
        }
        assertThat(values(open)).containsExactlyElementsOf(expected);
        for (FileDescriptor fd : fds) {
            assertThat(open.remove(fd)).isEqualTo(kernel.fdVal(fd));
        }
        assertThat(open.entries()).isEmpty();
    }

    @Test
    void neighbouringNumbersAreNotInOneCacheLine() {
        // 16 slots: a 64-byte line of compressed references. Threads' sockets at one time have neighbouring numbers.
        for (int n = 0; n < 1023; n++) {
            assertThat(Math.abs(OpenSockets.slot(n + 1) - OpenSockets.slot(n))).isGreaterThanOrEqualTo(16);
        }
    }

    @Test
    void aNumberHandedOutBeforeTheOldSocketsCloseHookKeepsBothApart() {
        FileDescriptor old = kernel.onNumber(7);
        open.put(old, "old record");
        FileDescriptor reused = kernel.onNumberOf(old);
        assertThat(open.putIfAbsent(reused, "pending")).isNull();
        assertThat(open.get(reused)).isEqualTo("pending");
        assertThat(open.get(old)).isEqualTo("old record");
        assertThat(values(open)).containsExactlyInAnyOrder("old record", "pending");

        assertThat(open.remove(old)).isEqualTo("old record");
        // The newer socket's later events find it where it was put, not a second entry in the freed slot.
        assertThat(open.replace(reused, "pending", "new record")).isTrue();
        assertThat(open.put(reused, "awaiting")).isEqualTo("new record");
        assertThat(values(open)).containsExactly("awaiting");
        FileDescriptor third = kernel.onNumberOf(old);
        open.put(third, "third");
        assertThat(values(open)).containsExactlyInAnyOrder("awaiting", "third");
        assertThat(open.remove(reused)).isEqualTo("awaiting");
        assertThat(open.remove(third)).isEqualTo("third");
        assertThat(open.entries()).isEmpty();
    }

    @Test
    void aSocketWhoseNumberIsGoneAtItsCloseIsStillRemoved() {
        FileDescriptor fd = kernel.onNumber(3000);
        open.put(fd, "record");
        kernel.loseNumber(fd);
        assertThat(open.remove(fd)).isEqualTo("record");
        assertThat(open.entries()).isEmpty();
    }

    @Test
    void keysWithoutANumberOrPastTheLastSlotLiveBesideTheOthers() {
        FileDescriptor reconcilers = new FileDescriptor();
        kernel.loseNumber(reconcilers);
        FileDescriptor huge = kernel.onNumber(5_000_000);
        FileDescriptor slot = kernel.onNumber(5);
        open.put(reconcilers, "found in /proc");
        open.put(huge, "huge");
        open.put(slot, "slot");
        assertThat(open.get(reconcilers)).isEqualTo("found in /proc");
        assertThat(open.get(huge)).isEqualTo("huge");
        assertThat(values(open)).containsExactlyInAnyOrder("found in /proc", "huge", "slot");
        assertThat(open.remove(reconcilers)).isEqualTo("found in /proc");
        assertThat(open.remove(huge)).isEqualTo("huge");
        assertThat(open.remove(slot)).isEqualTo("slot");
        assertThat(open.entries()).isEmpty();
    }

    @Test
    void withoutNumbersEveryKeyIsFoundByItsObject() {
        OpenSockets unnumbered = new OpenSockets();
        FileDescriptor a = kernel.onNumber(7);
        FileDescriptor b = kernel.onNumberOf(a);
        unnumbered.put(a, "a");
        unnumbered.put(b, "b");
        // Numbers come too late once something is in: the keys already in would not be looked for where they are.
        unnumbered.numberWith(kernel);
        assertThat(unnumbered.remove(a)).isEqualTo("a");
        assertThat(unnumbered.get(b)).isEqualTo("b");
    }

    @Test
    void theRegistryKeepsASocketOnAReusedNumberApartFromTheOneWhoseCloseHookIsLate() {
        Registry registry = new Registry(new dev.portagent.proc.EphemeralRange(32768, 60999, "test"), 0, 100, () -> 0);
        Recorder recorder = new Recorder(registry, kernel, 0, 0, true);
        FileDescriptor first = kernel.socketOn(40001);
        udpBoundToAnyPort(recorder, first);
        // The kernel has closed the first socket and handed its number out again; the first's close hook comes later.
        FileDescriptor second = kernel.onNumberOf(first);
        kernel.put(second, new java.net.InetSocketAddress(FakeKernel.LOOPBACK, 40002));
        udpBoundToAnyPort(recorder, second);
        assertThat(registry.snapshot().open()).extracting(SocketView::localPort).containsExactlyInAnyOrder(40001, 40002);

        recorder.closed(first);
        Snapshot s = registry.snapshot();
        assertThat(s.open()).extracting(SocketView::localPort).containsExactly(40002);
        assertThat(s.closed()).extracting(SocketView::localPort).containsExactly(40001);

        recorder.closed(second);
        s = registry.snapshot();
        assertThat(s.open()).isEmpty();
        assertThat(s.counters().open()).isZero();
        assertThat(s.counters().closed()).isEqualTo(2);
    }

    private void udpBoundToAnyPort(Recorder recorder, FileDescriptor fd) {
        recorder.created(null, fd, true, false);
        recorder.boundToAnyPort(null, fd, null);
        recorder.localAddress(fd, kernel.jdkReads(fd));
    }

    /**
     * Four threads open and close sockets on the same three numbers, so that a slot is nearly always held
     * by another thread's socket: each socket's own events still see exactly what it was given, and
     * nothing is left behind.
     */
    @Test
    void socketsContendingForTheSameNumbersEachSeeOnlyTheirOwnEntry() throws Exception {
        OpenSockets shared = numbered(kernel);
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicReference<String> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int seed = t;
            Thread w = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 100_000 && failure.get() == null; i++) {
                        FileDescriptor fd = kernel.onNumber((i + seed) % 3);
                        Object pending = new Object();
                        Object record = new Object();
                        check(failure, shared.putIfAbsent(fd, pending) == null, "new socket already there");
                        check(failure, shared.replace(fd, pending, record), "bind lost its pending entry");
                        check(failure, shared.get(fd) == record, "record not found");
                        check(failure, shared.remove(fd) == record, "close did not find the record");
                        check(failure, shared.get(fd) == null, "closed socket still there");
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e.toString());
                }
            });
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(shared.entries()).isEmpty();
    }

    /**
     * A bind's replace and a close on another thread race for one socket: either the bind wins and the
     * close takes the record, or the close takes the pending entry and the bind finds nothing to replace. A
     * record of a closed socket is never left behind.
     */
    @Test
    void aBindAndACloseRacingForOneSocketHaveOneWinnerAndLeaveNothing() throws Exception {
        OpenSockets shared = numbered(kernel);
        CyclicBarrier round = new CyclicBarrier(2);
        AtomicReference<String> failure = new AtomicReference<>();
        int rounds = 50_000;
        Object[] removed = new Object[rounds];
        FileDescriptor[] fds = new FileDescriptor[rounds];
        Object[] pendings = new Object[rounds];
        for (int i = 0; i < rounds; i++) {
            fds[i] = kernel.onNumber(i % 5);
            pendings[i] = new Object();
        }
        Thread closer = new Thread(() -> {
            try {
                for (int i = 0; i < rounds && failure.get() == null; i++) {
                    round.await();
                    removed[i] = shared.remove(fds[i]);
                    round.await();
                }
            } catch (Exception e) {
                failure.compareAndSet(null, e.toString());
            }
        });
        closer.start();
        int bindsWon = 0;
        for (int i = 0; i < rounds && failure.get() == null; i++) {
            Object record = new Object();
            check(failure, shared.putIfAbsent(fds[i], pendings[i]) == null, "new socket already there");
            round.await();
            boolean bound = shared.replace(fds[i], pendings[i], record);
            round.await();
            bindsWon += bound ? 1 : 0;
            check(failure, removed[i] == (bound ? record : pendings[i]), "the close took neither the record nor the pending entry");
            check(failure, shared.get(fds[i]) == null, "a closed socket's entry left behind");
        }
        closer.join();
        assertThat(failure.get()).isNull();
        assertThat(shared.entries()).isEmpty();
        assertThat(bindsWon).as("binds that won, of " + rounds).isPositive().isLessThan(rounds);
    }

    private static void check(AtomicReference<String> failure, boolean ok, String what) {
        if (!ok) {
            failure.compareAndSet(null, what);
        }
    }
}
