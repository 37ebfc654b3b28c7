package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.portagent.proc.EphemeralRange;
import dev.portagent.proc.ProcNet;
import dev.portagent.proc.ProcSocket;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
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
    // What happens while the reconciler waits for candidates to be confirmed.
    private Runnable meanwhile = () -> { };

    @BeforeEach
    void setUp() {
        reconciler = new Reconciler(registry, fd -> fdNumbers.getOrDefault(fd, -1), proc, () -> now, millis -> {
            now += millis;
            meanwhile.run();
        });
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

    /**
     * After a -javaagent the hooks are put in place some time after premain, and the first pass comes later
     * still: a socket native code opened meanwhile is native, not one from before the agent, and waits for its
     * confirming pass like any native one. Those open when the installation listed them are the agent's "before".
     */
    @Test
    void withTheSocketsListedBeforeTheHooksOnlyThoseAreBeforeAgentHoweverLateTheFirstPass() {
        proc.socket(3, 100, tcp(8080, "LISTEN", 0));
        Set<Long> listed = new HashSet<>(proc.socketFds(Map.of()).values());
        proc.socket(4, 101, tcp(7000, "LISTEN", 0));
        proc.unlisted(5, 102, true); // the JDK's unix socketpair, made at the agent's first file channel
        reconciler.openBeforeHooks(listed);

        long start = now;
        reconciler.reconcileAtStart();
        assertThat(now).as("the start does not wait for native candidates").isEqualTo(start);
        assertThat(registry.snapshot().open()).extracting(SocketView::localPort, SocketView::origin)
                .containsExactly(tuple(8080, SocketView.BEFORE_AGENT));

        reconciler.reconcile();

        assertThat(listed).containsExactly(100L);
        assertThat(now - start).as("waited for the native one alone, not for the unix one")
                .isEqualTo(Reconciler.NATIVE_CONFIRM_MILLIS);
        assertThat(registry.snapshot().open()).extracting(SocketView::localPort, SocketView::origin)
                .containsExactlyInAnyOrder(tuple(8080, SocketView.BEFORE_AGENT), tuple(7000, SocketView.NATIVE));
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
        int reads = proc.reads;
        // The connect has returned; its thread, descheduled, records it while the pass waits to confirm it.
        meanwhile = () -> hookRecord(10, 41000);
        reconciler.reconcile();

        assertThat(registry.snapshot().open()).extracting(SocketView::origin).containsExactly(SocketView.AGENT);
        assertThat(proc.reads).as("readings of /proc/net").isEqualTo(reads);
    }


    /**
     * Under socket churn a pass nearly always lists a socket whose hook has not run yet. Listed again, it
     * is known or gone, and the pass reads no file of /proc/net for it (with a busy loop's TIME_WAIT
     * sockets those readings were most of the agent's own CPU time); one unknown in both listings is
     * looked for only by a pass that finds it still unknown after the confirmation time.
     */
    @Test
    void aSocketBetweenItsSystemCallAndItsHookCostsNoReadingOfProcNet() {
        reconciler.reconcile();
        int reads = proc.reads;
        long before = now;
        proc.socket(10, 400, tcpTo(41000, 80, "ESTABLISHED"));
        proc.socket(11, 401, tcpTo(41001, 80, "ESTABLISHED"));
        proc.onNextListing(() -> {
            hookRecord(10, 41000); // its hook runs just after the listing
            proc.remove(11); // closed before its hook
            proc.socket(12, 402, tcpTo(41002, 80, "ESTABLISHED")); // the next one, not yet hooked either
        });

        reconciler.reconcile();

        assertThat(proc.reads).as("readings of /proc/net").isEqualTo(reads);
        assertThat(now).as("no wait for candidates").isEqualTo(before);
        assertThat(registry.snapshot().open()).extracting(SocketView::localPort, SocketView::origin)
                .containsExactly(tuple(41000, SocketView.AGENT));

        // Unknown in both listings of the next pass: a candidate, looked for once it is due and native then.
        reconciler.reconcile();
        assertThat(now).as("waited for it to stay unknown").isEqualTo(before + Reconciler.NATIVE_CONFIRM_MILLIS);
        assertThat(proc.reads).as("one reading, by the confirming pass").isEqualTo(reads + 1);
        assertThat(registry.snapshot().open()).extracting(SocketView::localPort, SocketView::origin)
                .containsExactlyInAnyOrder(tuple(41000, SocketView.AGENT), tuple(41002, SocketView.NATIVE));
    }

    @Test
    void thePeriodicScanDoesNotWaitForCandidatesButConfirmsThemWhenDue() {
        reconciler.reconcile();
        proc.socket(9, 800, tcpTo(46000, 80, "ESTABLISHED"));
        List<Map.Entry<Runnable, Long>> later = new ArrayList<>();
        long before = now;

        reconciler.scan((task, delay) -> later.add(Map.entry(task, delay)));

        assertThat(now).as("the agent's thread did not wait").isEqualTo(before);
        assertThat(registry.snapshot().open()).isEmpty();
        assertThat(later).singleElement().extracting(Map.Entry::getValue).isEqualTo(Reconciler.NATIVE_CONFIRM_MILLIS);
        now += Reconciler.NATIVE_CONFIRM_MILLIS;
        later.get(0).getKey().run();
        assertThat(registry.snapshot().open()).extracting(SocketView::localPort, SocketView::origin)
                .containsExactly(tuple(46000, SocketView.NATIVE));
        assertThat(later).as("the confirming pass schedules nothing more").hasSize(1);
    }

    @Test
    void aSocketUnknownForLessThanTheConfirmationTimeLeavesNoTrace() {
        reconciler.reconcile();
        int reads = proc.reads;
        // A thread descheduled between its connect and its hook, on a loaded machine; it closes before
        // the socket has been unknown for the confirmation time.
        proc.socket(13, 700, tcpTo(43000, 80, "ESTABLISHED"));
        meanwhile = () -> proc.remove(13);
        reconciler.reconcile();

        assertThat(proc.reads).as("nothing looked for in /proc/net").isEqualTo(reads);
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
        proc.files.clear();
        now += 5000;
        reconciler.reconcile();

        assertThat(proc.reads).as("a second reading looks for the missing line").isEqualTo(2);
        assertThat(proc.files).as("in the files of the records, both times").containsExactly("tcp", "udp", "tcp", "udp");
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

    @Test
    void aHookSocketsLinkIsReadOnceWhileItsRecordKeepsItsNumber() {
        FileDescriptor listener = hookRecord(5, 9000);
        proc.socket(5, 200, tcp(9000, "LISTEN", 0));
        reconciler.reconcile();
        assertThat(proc.links).isEqualTo(1);

        now += 1000;
        reconciler.reconcile();
        assertThat(proc.links).as("the record still has fd 5: its inode is known").isEqualTo(1);

        // Its close hook has run; native code gets the number at once.
        registry.closed(listener, now, null);
        proc.remove(5);
        proc.socket(5, 201, tcpTo(44000, 80, "ESTABLISHED"));
        now += 1000;
        reconciler.reconcile();

        // Twice in each of the two passes that find it unknown: listed, then listed again.
        assertThat(proc.links).as("a number no open record has is read again").isEqualTo(5);
        assertThat(registry.snapshot().open()).extracting(SocketView::localPort, SocketView::origin)
                .containsExactly(tuple(44000, SocketView.NATIVE));
    }

    @Test
    void aRecordVouchesForItsInodeOnlyUnderTheNumberItWasReadThrough() {
        FileDescriptor listener = hookRecord(5, 9000);
        proc.socket(5, 200, tcp(9000, "LISTEN", 0));
        reconciler.reconcile();

        fdNumbers.put(listener, 6);
        proc.remove(5);
        proc.socket(6, 200, tcp(9000, "LISTEN", 0));
        proc.socket(5, 201, tcpTo(44000, 80, "ESTABLISHED"));
        now += 1000;
        reconciler.reconcile();

        assertThat(proc.links).as("5 and 6, then 5 alone: listed again, and twice in the pass that confirms the native socket")
                .isEqualTo(6);
        assertThat(registry.snapshot().open()).extracting(SocketView::localPort, SocketView::origin)
                .containsExactlyInAnyOrder(tuple(9000, SocketView.AGENT), tuple(44000, SocketView.NATIVE));
    }

    @Test
    void aNumberReusedBeforeTheCloseHookRanIsReadAgainOnceItHas() {
        FileDescriptor closing = hookRecord(5, 9000);
        proc.socket(5, 200, tcp(9000, "LISTEN", 0));
        reconciler.reconcile();

        // Closed, its hook late; another thread's socket gets the number and its hook records it.
        proc.remove(5);
        proc.socket(5, 201, tcp(9001, "LISTEN", 0));
        hookRecord(5, 9001);
        now += 1000;
        reconciler.reconcile();
        assertThat(proc.links).as("the late record still vouches for 5").isEqualTo(1);

        registry.closed(closing, now, null);
        now += 1000;
        reconciler.reconcile();
        now += 1000;
        reconciler.reconcile();

        assertThat(proc.links).as("read once for the new record, which took no inode it did not read").isEqualTo(2);
        assertThat(registry.snapshot().open()).extracting(SocketView::localPort, SocketView::origin)
                .containsExactly(tuple(9001, SocketView.AGENT));
    }

    /** A Unix domain socket the JDK holds is looked for in /proc/net/unix, once, and never in the INET files. */
    @Test
    void withOnlyHookSocketsAndUnixSocketsNoInetFileIsRead() {
        hookRecord(5, 9000);
        proc.socket(5, 200, tcp(9000, "LISTEN", 0));
        proc.unlisted(3, 50, true);
        reconciler.reconcile();

        for (int i = 0; i < 3; i++) {
            now += 1000;
            reconciler.reconcile();
        }

        assertThat(proc.reads).as("readings of the INET files").isZero();
        assertThat(proc.unixReads).as("readings of /proc/net/unix").isEqualTo(1);
        assertThat(registry.snapshot().open()).extracting(SocketView::origin).containsExactly(SocketView.AGENT);
    }

    @Test
    void aFoundRecordNeedsOnlyItsOwnFileAndClosesWhenItLeavesItWhileItsFdIsHeld() {
        reconciler.reconcile();
        proc.socket(7, 300, tcpTo(45000, 80, "ESTABLISHED"));
        reconciler.reconcile();
        assertThat(registry.snapshot().open()).extracting(SocketView::origin).containsExactly(SocketView.NATIVE);
        proc.files.clear();

        now += 1000;
        reconciler.reconcile();
        assertThat(proc.files).containsExactly("tcp");
        assertThat(registry.snapshot().open()).hasSize(1);

        // Reset by the peer: the kernel unhashes it (gone from /proc/net/tcp), the fd stays open.
        proc.net.remove(300L);
        now += 1000;
        reconciler.reconcile();

        assertThat(proc.files).as("a second reading before it closes").containsExactly("tcp", "tcp", "tcp");
        assertThat(registry.snapshot().open()).isEmpty();
        assertThat(registry.snapshot().closed()).extracting(SocketView::localPort).containsExactly(45000);
    }

    @Test
    void aFoundRecordWhoseFdIsClosedNeedsNoReading() {
        proc.socket(7, 300, udp(5353, 0));
        reconciler.reconcile();
        int reads = proc.reads;

        proc.remove(7);
        now += 1000;
        reconciler.reconcile();

        assertThat(proc.reads).isEqualTo(reads);
        assertThat(registry.snapshot().closed()).extracting(SocketView::localPort).containsExactly(5353);
    }

    @Test
    void anUnlistedSocketThatIsNotUnixIsLookedForAtEveryPass() {
        reconciler.reconcile();
        proc.unlisted(8, 400, false); // created by native code, not bound yet
        reconciler.reconcile();
        int reads = proc.reads;
        now += 1000;
        reconciler.reconcile();
        assertThat(proc.reads).isGreaterThan(reads);

        proc.socket(8, 400, tcp(7100, "LISTEN", 0));
        reconciler.reconcile();

        assertThat(registry.snapshot().open()).extracting(SocketView::role, SocketView::localPort, SocketView::origin)
                .containsExactly(tuple("listen", 7100, SocketView.NATIVE));
    }

    /**
     * The passes that skip links and files conclude what passes that read everything conclude: one kernel,
     * two registries fed by the same hooks, one reconciler reading all of /proc every time. The histories
     * include what made the rules: lines a reading skips (a record then closes only when a second reading
     * lacks its line too), numbers closed and reused before the close hook has run, Unix sockets, sockets
     * not listed yet, sockets that leave /proc/net while their fd stays open, and hooks that run late.
     */
    @Test
    void readingLessConcludesWhatReadingEverythingDoes() {
        for (long seed = 1; seed <= 60; seed++) {
            Random random = new Random(seed);
            FakeProc kernel = new FakeProc();
            FakeProc everythingRead = kernel.readingEverything();
            Registry less = new Registry(new EphemeralRange(32768, 60999, "test"), 32, 100, () -> 0);
            Registry everything = new Registry(new EphemeralRange(32768, 60999, "test"), 32, 100, () -> 0);
            // Each its own clock, which its waits move: both must wait alike.
            long[] lessNow = {now}, everythingNow = {now};
            Reconciler lessReader = new Reconciler(less, fd -> fdNumbers.getOrDefault(fd, -1), kernel,
                    () -> lessNow[0], millis -> lessNow[0] += millis);
            Reconciler everythingReader = new Reconciler(everything, fd -> fdNumbers.getOrDefault(fd, -1),
                    everythingRead, () -> everythingNow[0], millis -> everythingNow[0] += millis);
            Map<Integer, FileDescriptor[]> hooks = new HashMap<>();
            List<FileDescriptor[]> closing = new ArrayList<>();
            Map<Integer, Long> natives = new HashMap<>();
            Set<Long> notBoundYet = new HashSet<>();
            long inodes = 1000 * seed;
            int skipped = 0, secondReadings = 0, listenPort = 41000;
            for (int step = 0; step < 300; step++) {
                int fd = 3;
                while (kernel.fds.containsKey(fd)) {
                    fd++;
                }
                switch (random.nextInt(11)) {
                    case 0, 1 -> { // a hook's socket
                        ProcSocket s = randomSocket(random, 20000 + step);
                        kernel.socket(fd, ++inodes, s);
                        hooks.put(fd, hookRecords(less, everything, fd, s));
                    }
                    case 2 -> { // a hook's socket closes: the kernel first, its hook now or after a pass or more
                        if (!hooks.isEmpty()) {
                            int which = pick(random, hooks.keySet());
                            kernel.remove(which);
                            FileDescriptor[] keys = hooks.remove(which);
                            if (random.nextBoolean()) {
                                closeHooks(less, everything, keys);
                            } else {
                                closing.add(keys);
                            }
                        }
                    }
                    case 3 -> { // close hooks that were late run
                        closing.forEach(keys -> closeHooks(less, everything, keys));
                        closing.clear();
                    }
                    case 4 -> { // native code opens a socket, or one not in /proc/net yet, or a Unix one
                        int kind = random.nextInt(4);
                        if (kind < 2) {
                            kernel.socket(fd, ++inodes, randomSocket(random, 30000 + step));
                        } else {
                            kernel.unlisted(fd, ++inodes, kind == 3);
                            if (kind == 2) {
                                notBoundYet.add(inodes);
                            }
                        }
                        natives.put(fd, inodes);
                    }
                    case 5 -> { // native code closes one, or the kernel drops it from /proc/net alone
                        if (!natives.isEmpty()) {
                            int which = pick(random, natives.keySet());
                            if (random.nextBoolean()) {
                                kernel.remove(which);
                                notBoundYet.remove(natives.remove(which));
                            } else {
                                kernel.net.remove(natives.get(which));
                            }
                        }
                    }
                    case 6 -> { // a native socket not bound yet starts listening
                        for (Map.Entry<Integer, Long> n : natives.entrySet()) {
                            if (notBoundYet.contains(n.getValue()) && random.nextBoolean()) {
                                kernel.socket(n.getKey(), n.getValue(), tcp(listenPort++, "LISTEN", 0));
                                notBoundYet.remove(n.getValue());
                            }
                        }
                    }
                    case 7 -> { // a hook records, late, a socket taken for a native one
                        List<Integer> listed = natives.keySet().stream().sorted()
                                .filter(n -> kernel.net.containsKey(natives.get(n))).toList();
                        if (!listed.isEmpty()) {
                            int which = listed.get(random.nextInt(listed.size()));
                            natives.remove(which);
                            hooks.put(which, hookRecords(less, everything, which, kernel.net.get(kernel.fds.get(which))));
                        }
                    }
                    default -> {
                        // What a busy namespace does to the first reading of a pass, to both readers alike.
                        Set<Long> skip = new HashSet<>();
                        if (random.nextInt(3) == 0) {
                            kernel.net.keySet().stream().sorted().filter(i -> random.nextInt(3) == 0).forEach(skip::add);
                        }
                        kernel.skip = skip;
                        everythingRead.skip = skip;
                        int readings = everythingRead.reads;
                        now += random.nextInt(1500);
                        long maxAge = random.nextBoolean() ? 0 : 250;
                        lessNow[0] = now;
                        everythingNow[0] = now;
                        lessReader.reconcileIfOlderThan(maxAge);
                        everythingReader.reconcileIfOlderThan(maxAge);
                        kernel.skip = Set.of();
                        everythingRead.skip = Set.of();
                        skipped += skip.isEmpty() ? 0 : 1;
                        secondReadings += everythingRead.reads - readings > 1 ? 1 : 0;
                        assertThat(lessNow[0]).as("seed %d step %d: waited alike", seed, step).isEqualTo(everythingNow[0]);
                        now = lessNow[0];
                        assertThat(recorded(less)).as("seed %d step %d", seed, step).isEqualTo(recorded(everything));
                        // Every socket has a port of its own: a record closed only if its line is gone.
                        Set<Integer> listed = new HashSet<>();
                        kernel.net.values().forEach(s -> listed.add(s.localPort()));
                        assertThat(less.snapshot(Long.MAX_VALUE).closed()).as("seed %d step %d", seed, step)
                                .filteredOn(v -> !v.origin().equals(SocketView.AGENT))
                                .allSatisfy(v -> assertThat(listed).doesNotContain(v.localPort()));
                    }
                }
            }
            assertThat(skipped).as("seed %d: passes whose first reading skipped lines", seed).isPositive();
            assertThat(kernel.links).as("seed %d: links read", seed).isLessThan(everythingRead.links);
            if (seed == 1) {
                assertThat(secondReadings).as("the histories make second readings").isPositive();
            }
        }
    }

    private FileDescriptor[] hookRecords(Registry less, Registry everything, int fd, ProcSocket s) {
        FileDescriptor[] keys = {new FileDescriptor(), new FileDescriptor()};
        List<Registry> both = List.of(less, everything);
        for (int i = 0; i < 2; i++) {
            Registry r = both.get(i);
            fdNumbers.put(keys[i], fd);
            r.opened(keys[i], new SocketRecord(r.nextId(), s.protocol().equals("udp"), s.family().equals("ipv6"),
                    SocketRecord.Role.BIND, LOOPBACK, s.localPort(), 0, false, false, now, Thread.currentThread(),
                    false, null));
        }
        return keys;
    }

    private void closeHooks(Registry less, Registry everything, FileDescriptor[] keys) {
        less.closed(keys[0], now, null);
        everything.closed(keys[1], now, null);
    }

    private static int pick(Random random, Set<Integer> numbers) {
        List<Integer> sorted = numbers.stream().sorted().toList();
        return sorted.get(random.nextInt(sorted.size()));
    }

    private static ProcSocket randomSocket(Random random, int port) {
        boolean udp = random.nextBoolean();
        boolean ipv6 = random.nextBoolean();
        String state = udp ? "UNCONN" : random.nextBoolean() ? "LISTEN" : "ESTABLISHED";
        return new ProcSocket(udp ? "udp" : "tcp", ipv6 ? "ipv6" : "ipv4", LOOPBACK, port, LOOPBACK,
                state.equals("ESTABLISHED") ? 80 : 0, state, 0, 0);
    }

    /** What a registry says is open and was closed, without the ids (each registry numbers its own). */
    private static List<String> recorded(Registry registry) {
        Snapshot s = registry.snapshot(Long.MAX_VALUE);
        List<String> lines = new ArrayList<>();
        for (SocketView v : s.open()) {
            lines.add("open " + v.protocol() + " " + v.family() + " " + v.role() + " " + v.localPort() + " "
                    + v.remotePort() + " " + v.origin() + " " + v.openedAt());
        }
        for (SocketView v : s.closed()) {
            lines.add("closed " + v.protocol() + " " + v.family() + " " + v.role() + " " + v.localPort() + " "
                    + v.remotePort() + " " + v.origin() + " " + v.openedAt() + " " + v.closedAt());
        }
        lines.sort(null);
        lines.add(s.counters().toString());
        return lines;
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

    /**
     * A process's fd table and its namespace's /proc/net, and one reader of them: what it has read, and
     * what its next reading skips.
     */
    private static final class FakeProc implements Reconciler.Source {
        final Map<Integer, Long> fds;
        final Map<Long, ProcSocket> net;
        final Set<Long> unix;
        // Takes no hint: every link, and every file at every reading, as passes read before they read less.
        private final boolean readsEverything;
        Runnable onNextRead = () -> { };
        Runnable onNextListing = () -> { };
        boolean available = true;
        boolean unreadable;
        /** Readings of the INET files of /proc/net, one or more at a time. */
        int reads;
        /** Readings of /proc/net/unix. */
        int unixReads;
        /** Links of /proc/self/fd read. */
        int links;
        /** The files of /proc/net read, in order: "tcp", "udp6", ... */
        final List<String> files = new ArrayList<>();
        /** Inodes whose lines the next reading skips. */
        Set<Long> skip = Set.of();

        FakeProc() {
            this(new HashMap<>(), new HashMap<>(), new HashSet<>(), false);
        }

        private FakeProc(Map<Integer, Long> fds, Map<Long, ProcSocket> net, Set<Long> unix, boolean readsEverything) {
            this.fds = fds;
            this.net = net;
            this.unix = unix;
            this.readsEverything = readsEverything;
        }

        /** Another reader of the same kernel, one that takes no hint. */
        FakeProc readingEverything() {
            return new FakeProc(fds, net, unix, true);
        }

        void socket(int fd, long inode, ProcSocket s) {
            fds.put(fd, inode);
            net.put(inode, new ProcSocket(s.protocol(), s.family(), s.localAddress(), s.localPort(), s.remoteAddress(),
                    s.remotePort(), s.state(), inode, 0));
        }

        /** A socket of ours that /proc/net does not list: a Unix domain socket when {@code unixSocket}. */
        void unlisted(int fd, long inode, boolean unixSocket) {
            fds.put(fd, inode);
            if (unixSocket) {
                unix.add(inode);
            }
        }

        void remove(int fd) {
            Long inode = fds.remove(fd);
            net.remove(inode);
            unix.remove(inode);
        }

        void skipOnNextRead(long inode) {
            skip = Set.of(inode);
        }

        void onNextRead(Runnable action) {
            onNextRead = action;
        }

        void onNextListing(Runnable action) {
            onNextListing = action;
        }

        @Override
        public boolean available() {
            return available;
        }

        @Override
        public Map<Integer, Long> socketFds(Map<Integer, Long> known) {
            if (unreadable) {
                return null;
            }
            Map<Integer, Long> answer = new HashMap<>();
            fds.forEach((fd, inode) -> {
                if (!readsEverything && known.containsKey(fd)) {
                    answer.put(fd, known.get(fd));
                } else {
                    links++;
                    answer.put(fd, inode);
                }
            });
            Runnable action = onNextListing;
            onNextListing = () -> { };
            action.run();
            return answer;
        }

        @Override
        public List<ProcSocket> sockets(Set<ProcNet.Table> tables) {
            Set<ProcNet.Table> read = readsEverything ? EnumSet.allOf(ProcNet.Table.class) : tables;
            if (read.isEmpty()) {
                // A reader that reads nothing in its first pass must not meet the skips in its second.
                skip = Set.of();
                return List.of();
            }
            reads++;
            read.forEach(t -> files.add(t.name().toLowerCase(Locale.ROOT)));
            List<ProcSocket> lines = new ArrayList<>();
            for (ProcSocket s : net.values()) {
                if (read.contains(ProcNet.Table.of(s)) && !skip.contains(s.inode())) {
                    lines.add(s);
                }
            }
            skip = Set.of();
            Runnable action = onNextRead;
            onNextRead = () -> { };
            action.run();
            return lines;
        }

        @Override
        public Set<Long> unixInodes() {
            unixReads++;
            return readsEverything ? Set.of() : new HashSet<>(unix);
        }
    }
}
