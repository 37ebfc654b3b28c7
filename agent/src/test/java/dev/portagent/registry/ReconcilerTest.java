package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.portagent.proc.EphemeralRange;
import dev.portagent.proc.ProcSocket;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The reconciler against a fake /proc: what it records, confirms, closes and forgets. */
class ReconcilerTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final Registry registry = new Registry(new EphemeralRange(32768, 60999, "test"), 32, 100, () -> 0);
    private final FakeProc proc = new FakeProc();
    private final Map<FileDescriptor, Integer> fdNumbers = new IdentityHashMap<>();
    private long now = 1_000_000;
    private Reconciler reconciler;

    @BeforeEach
    void setUp() {
        reconciler = new Reconciler(registry, fd -> fdNumbers.getOrDefault(fd, -1), proc, () -> now, millis -> now += millis);
    }

    @Test
    void socketsOpenAtInstallAreBeforeAgentWithoutStackOrThread() {
        proc.socket(3, 100, tcp(8080, "LISTEN", 0));
        proc.socket(4, 101, udp(5353, 0));

        reconciler.reconcile();

        Snapshot s = registry.snapshot();
        assertThat(s.open()).extracting(SocketView::protocol, SocketView::role, SocketView::localPort, SocketView::origin)
                .containsExactlyInAnyOrder(
                        tuple("tcp", "listen", 8080, SocketView.BEFORE_AGENT),
                        tuple("udp", "bind", 5353, SocketView.BEFORE_AGENT));
        assertThat(s.open()).allSatisfy(v -> {
            assertThat(v.site()).isEqualTo(Reconciler.BEFORE_AGENT_SITE);
            assertThat(v.stack()).isEmpty();
            assertThat(v.thread()).isNull();
            assertThat(v.requestedPort()).isZero();
            assertThat(v.openedAt()).isEqualTo(now);
        });
        assertThat(s.origins()).containsExactly(Map.entry("agent", 0L), Map.entry("before-agent", 2L),
                Map.entry("native", 0L));
        assertThat(s.counters().open()).isEqualTo(2);
        assertThat(s.counters().binds()).isZero();
        assertThat(s.sites()).extracting(SiteView::site, SiteView::open)
                .containsExactly(tuple(Reconciler.BEFORE_AGENT_SITE, 2L));
        assertThat(s.warnings()).isEmpty();
    }

    @Test
    void socketsTheHooksKnowAreNotRecordedAgain() {
        hookRecord(5, 9000);
        proc.socket(5, 200, tcp(9000, "LISTEN", 0));

        reconciler.reconcile();

        assertThat(registry.snapshot().open()).extracting(SocketView::origin).containsExactly(SocketView.AGENT);
    }

    @Test
    void unknownSocketsAfterInstallAreNativeAndTheirRolesFollowFromProc() {
        reconciler.reconcile();
        proc.socket(6, 300, tcp(7000, "LISTEN", 0));
        proc.socket(7, 301, tcpTo(7000, 40000, "ESTABLISHED"));
        proc.socket(8, 302, tcpTo(40000, 7000, "ESTABLISHED"));
        proc.socket(9, 303, udp(40001, 53));

        long before = now;
        reconciler.reconcile();
        assertThat(now - before).as("it waited for them to stay unknown").isEqualTo(Reconciler.NATIVE_CONFIRM_MILLIS);

        assertThat(registry.snapshot().open())
                .extracting(SocketView::role, SocketView::localPort, SocketView::remotePort, SocketView::ephemeral,
                        SocketView::origin, SocketView::site)
                .containsExactlyInAnyOrder(
                        tuple("listen", 7000, 0, false, "native", Reconciler.NATIVE_SITE),
                        tuple("accept", 7000, 40000, false, "native", Reconciler.NATIVE_SITE),
                        tuple("connect", 40000, 7000, true, "native", Reconciler.NATIVE_SITE),
                        tuple("connect", 40001, 53, true, "native", Reconciler.NATIVE_SITE));
        assertThat(registry.snapshot().origins()).containsEntry("native", 4L);
    }

    @Test
    void aSocketWhoseHookRecordsItBetweenTwoPassesIsNeverNative() {
        reconciler.reconcile();
        proc.socket(10, 400, tcpTo(41000, 80, "ESTABLISHED"));
        // The connect has returned, its hook records it just after the first read of /proc.
        proc.onNextRead(() -> hookRecord(10, 41000));

        reconciler.reconcile();

        assertThat(registry.snapshot().open()).extracting(SocketView::origin).containsExactly(SocketView.AGENT);
    }

    @Test
    void aSocketUnknownForLessThanTheConfirmationTimeLeavesNoTrace() {
        reconciler.reconcile();
        // A thread descheduled between its connect and its hook, on a loaded machine; it closes before
        // the socket has been unknown for the confirmation time.
        proc.socket(13, 700, tcpTo(43000, 80, "ESTABLISHED"));
        proc.onNextRead(() -> proc.remove(13));
        reconciler.reconcile();

        Snapshot s = registry.snapshot();
        assertThat(s.open()).isEmpty();
        assertThat(s.closed()).isEmpty();
        assertThat(s.counters().closed()).isZero();
    }

    @Test
    void aRecordAHookClaimsLaterIsForgottenNotClosed() {
        reconciler.reconcile();
        proc.socket(11, 500, tcpTo(42000, 80, "ESTABLISHED"));
        reconciler.reconcile();
        assertThat(registry.snapshot().open()).extracting(SocketView::origin).containsExactly(SocketView.NATIVE);

        hookRecord(11, 42000);
        reconciler.reconcile();

        Snapshot s = registry.snapshot();
        assertThat(s.open()).extracting(SocketView::origin).containsExactly(SocketView.AGENT);
        assertThat(s.closed()).isEmpty();
        assertThat(s.counters().open()).isEqualTo(1);
    }

    @Test
    void aRecordIsClosedWhenItsSocketLeavesProc() {
        proc.socket(12, 600, tcp(8081, "LISTEN", 0));
        reconciler.reconcile();

        proc.remove(12);
        now += 5000;
        reconciler.reconcile();

        Snapshot s = registry.snapshot();
        assertThat(s.open()).isEmpty();
        assertThat(s.closed()).singleElement().satisfies(v -> {
            assertThat(v.origin()).isEqualTo(SocketView.BEFORE_AGENT);
            assertThat(v.state()).isEqualTo("closed");
            assertThat(v.closedAt()).isEqualTo(now);
        });
        assertThat(s.counters().open()).isZero();
    }

    @Test
    void aLineOneReadingSkipsDoesNotCloseTheSocketsRecord() {
        proc.socket(14, 800, udp(5353, 0));
        proc.socket(15, 801, tcp(8083, "LISTEN", 0));
        reconciler.reconcile();

        // What a busy namespace does to one reading of /proc/net; the fds are still open.
        proc.skipOnNextRead(800);
        proc.reads = 0;
        now += 5000;
        reconciler.reconcile();

        assertThat(proc.reads).as("a second reading looks for the missing line").isEqualTo(2);
        Snapshot s = registry.snapshot();
        assertThat(s.open()).extracting(SocketView::localPort, SocketView::origin)
                .containsExactlyInAnyOrder(tuple(5353, SocketView.BEFORE_AGENT), tuple(8083, SocketView.BEFORE_AGENT));
        assertThat(s.closed()).isEmpty();
    }

    @Test
    void aSocketGoneFromProcNetWhileItsFdStaysOpenIsClosed() {
        proc.socket(16, 900, tcp(40000, "ESTAB", 443));
        reconciler.reconcile();

        // A reset connection: the fd stays open, the kernel unhashes the socket, ss no longer shows it.
        proc.net.remove(900L);
        now += 5000;
        reconciler.reconcile();

        Snapshot s = registry.snapshot();
        assertThat(s.open()).isEmpty();
        assertThat(s.closed()).extracting(SocketView::localPort).containsExactly(40000);
    }

    @Test
    void whatCannotBeReadClosesNothing() {
        proc.socket(13, 700, tcp(8082, "LISTEN", 0));
        reconciler.reconcile();

        proc.unreadable = true;
        reconciler.reconcile();

        assertThat(registry.snapshot().open()).hasSize(1);
    }

    @Test
    void withoutProcItIsUnavailableAndDoesNothing() {
        proc.available = false;
        proc.socket(14, 800, tcp(8083, "LISTEN", 0));
        Reconciler none = new Reconciler(registry, fd -> -1, proc, () -> now);

        none.reconcile();

        assertThat(none.available()).isFalse();
        assertThat(registry.snapshot().open()).isEmpty();
        assertThat(proc.reads).isZero();
    }

    @Test
    void withoutSocketDescriptorsProcNetIsNotRead() {
        reconciler.reconcile();

        assertThat(proc.reads).isZero();
    }

    @Test
    void frequentReadersShareOnePass() {
        proc.socket(16, 1000, tcp(8085, "LISTEN", 0));
        reconciler.reconcileIfOlderThan(250);
        int reads = proc.reads;
        now += 100;
        reconciler.reconcileIfOlderThan(250);
        assertThat(proc.reads).isEqualTo(reads);
        now += 200;
        reconciler.reconcileIfOlderThan(250);
        assertThat(proc.reads).isGreaterThan(reads);
    }

    @Test
    void readersThatMustNotWaitRenewAnOldPassInTheBackgroundAndWaitOnlyForAStaleOne() {
        List<Runnable> background = new ArrayList<>();
        proc.socket(17, 1100, tcp(8086, "LISTEN", 0));
        reconciler.reconcile();
        int reads = proc.reads;

        now += 100;
        reconciler.reconcileIfOlderThan(250, background::add);
        assertThat(background).as("a young pass is reused").isEmpty();

        proc.socket(18, 1101, udp(9999, 0));
        now += 200;
        reconciler.reconcileIfOlderThan(250, background::add);
        reconciler.reconcileIfOlderThan(250, background::add);
        assertThat(proc.reads).as("no /proc read on the reader's thread").isEqualTo(reads);
        assertThat(background).as("one pass asked for, however many readers").hasSize(1);
        assertThat(registry.snapshot().open()).extracting(SocketView::localPort).containsExactly(8086);

        background.remove(0).run();
        assertThat(registry.snapshot().open()).extracting(SocketView::localPort).containsExactlyInAnyOrder(8086, 9999);
        now += 100;
        reconciler.reconcileIfOlderThan(250, background::add);
        assertThat(background).as("the renewed pass is reused").isEmpty();

        reads = proc.reads;
        now += Reconciler.STALE_MILLIS;
        reconciler.reconcileIfOlderThan(250, background::add);
        assertThat(proc.reads).as("a stale pass is renewed before the read").isGreaterThan(reads);
        reads = proc.reads;
        reconciler.reconcileIfOlderThan(0, background::add);
        assertThat(proc.reads).as("a report always reads /proc itself").isGreaterThan(reads);
        assertThat(background).isEmpty();
    }

    @Test
    void snapshotsReconcileFirstAndAReportAlwaysAfresh() {
        registry.reconcileWith(reconciler::reconcileIfOlderThan);
        proc.socket(15, 900, tcp(8084, "LISTEN", 0));
        assertThat(registry.snapshot().open()).extracting(SocketView::localPort).containsExactly(8084);

        proc.remove(15);
        now += 10;
        assertThat(registry.snapshot().open()).as("a reader within 250 ms shares the pass").hasSize(1);
        assertThat(registry.snapshot(0).open()).as("a report").isEmpty();
    }

    private FileDescriptor hookRecord(int fdNumber, int port) {
        FileDescriptor fd = new FileDescriptor();
        fdNumbers.put(fd, fdNumber);
        registry.opened(fd, new SocketRecord(registry.nextId(), false, false, SocketRecord.Role.LISTEN, LOOPBACK, port,
                port, false, false, now, Thread.currentThread(), false, null));
        return fd;
    }

    private static ProcSocket tcp(int port, String state, int remotePort) {
        return new ProcSocket("tcp", "ipv4", LOOPBACK, port, LOOPBACK, remotePort, state, 0, 0);
    }

    private static ProcSocket tcpTo(int port, int remotePort, String state) {
        return tcp(port, state, remotePort);
    }

    private static ProcSocket udp(int port, int remotePort) {
        return new ProcSocket("udp", "ipv4", LOOPBACK, port, LOOPBACK, remotePort, remotePort == 0 ? "UNCONN" : "ESTAB", 0, 0);
    }

    /** A process's fd table and its namespace's /proc/net, as the reconciler reads them. */
    private static final class FakeProc implements Reconciler.Source {
        final Map<Integer, Long> fds = new HashMap<>();
        final Map<Long, ProcSocket> net = new HashMap<>();
        Runnable onNextRead = () -> { };
        boolean available = true;
        boolean unreadable;
        int reads;
        long skip;

        void socket(int fd, long inode, ProcSocket s) {
            fds.put(fd, inode);
            net.put(inode, new ProcSocket(s.protocol(), s.family(), s.localAddress(), s.localPort(), s.remoteAddress(),
                    s.remotePort(), s.state(), inode, 0));
        }

        void remove(int fd) {
            net.remove(fds.remove(fd));
        }

        void skipOnNextRead(long inode) {
            skip = inode;
        }

        void onNextRead(Runnable action) {
            onNextRead = action;
        }

        @Override
        public boolean available() {
            return available;
        }

        @Override
        public Map<Integer, Long> socketFds() {
            return unreadable ? null : new HashMap<>(fds);
        }

        @Override
        public List<ProcSocket> sockets() {
            reads++;
            List<ProcSocket> copy = new ArrayList<>(net.values());
            copy.removeIf(s -> s.inode() == skip);
            skip = 0;
            Runnable action = onNextRead;
            onNextRead = () -> { };
            action.run();
            return copy;
        }
    }
}
