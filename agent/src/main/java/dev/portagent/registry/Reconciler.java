package dev.portagent.registry;

import dev.portagent.proc.ProcNet;
import dev.portagent.proc.ProcSocket;
import java.io.FileDescriptor;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/**
 * Records the INET sockets of this process that no hook saw, by comparing /proc with the registry:
 * {@link SocketView#BEFORE_AGENT} for those already open when portagent was loaded, {@link SocketView#NATIVE}
 * for those opened later outside java.net and java.nio (Netty's epoll and io_uring transports, JDWP, JNI).
 * Such a record is closed when its socket is gone from /proc. Reading /proc costs a millisecond or more,
 * so this runs at install, on the portagent thread and on the thread that asks for a report, never on a
 * socket path, and a pass reads only what can change what it concludes ({@link #pass()}).
 *
 * <p>Sockets are matched by inode, which is exact even where several sockets share a port (SO_REUSEPORT
 * listeners, multicast receivers); the inode of a hook's socket is that of its fd number in
 * /proc/self/fd. What could make a hook's socket look unknown, and why it does not:
 * <ul>
 *   <li>A socket opened while a pass runs: /proc/self/fd is listed before the registry is read, and a
 *       line of /proc/net counts only for a socket in that list, so a socket the hooks record after the
 *       listing is not in what was read.</li>
 *   <li>A socket between its system call and its hook (a connect has returned, the hook has not yet
 *       recorded it; on a loaded machine a thread can wait there for many milliseconds, or sit out a
 *       GC pause): it is looked for in /proc/net, and becomes a native record, only when a pass at
 *       least {@link #NATIVE_CONFIRM_MILLIS} after the first still finds it unknown. Should a hook still
 *       record it after that, the next pass finds the inode claimed and forgets the /proc record. Sockets
 *       found at install are confirmed by a second pass at once: the hooks were not there when they were
 *       opened. Under churn some socket is nearly always in that state, so a pass that lists an unknown
 *       socket lists again {@link #RELIST_AFTER_MILLIS} later, and only a socket unknown in both
 *       listings waits for its confirming pass.</li>
 *   <li>An fd number closed and reused between the two reads, or between a hook's socket's close and
 *       its close hook (until which its record vouches for the inode it had): the number now names the
 *       newer socket, which then counts as known, or is not seen, until the hook has run; that delays a
 *       native record, never invents one.</li>
 * </ul>
 */
public final class Reconciler {

    /** What a pass reads from the OS. A null answer means "could not read", not "nothing there". */
    public interface Source {
        boolean available();

        /**
         * fd number to socket inode for this process, or null; a number in {@code known} may be given that
         * inode without its link being read.
         */
        Map<Integer, Long> socketFds(Map<Integer, Long> known);

        /**
         * The INET sockets of this process's network namespace that {@code tables} list, one reading of each
         * file (a source may give the others too), or null.
         */
        List<ProcSocket> sockets(Set<ProcNet.Table> tables);

        /** The inodes of the namespace's Unix domain sockets, or null. */
        Set<Long> unixInodes();
    }

    public static final Source PROC = new Source() {
        private final long self = ProcNet.selfPid();

        @Override
        public boolean available() {
            return ProcNet.available() && ProcNet.socketFds(self) != null;
        }

        @Override
        public Map<Integer, Long> socketFds(Map<Integer, Long> known) {
            return ProcNet.socketFds(self, known);
        }

        @Override
        public List<ProcSocket> sockets(Set<ProcNet.Table> tables) {
            return tables.isEmpty() ? List.of() : ProcNet.readOrNull(tables);
        }

        @Override
        public Set<Long> unixInodes() {
            return ProcNet.unixInodesOrNull();
        }
    };

    public static final String BEFORE_AGENT_SITE = "(opened before portagent was loaded: no stack)";
    public static final String NATIVE_SITE =
            "(opened outside java.net and java.nio, e.g. Netty epoll/io_uring, JDWP or JNI: no stack)";

    private final Registry registry;
    private final ToIntFunction<FileDescriptor> fdVal;
    private final Source source;
    private final LongSupplier clock;
    private final boolean available;
    private final Stacks.Stack beforeAgent = new Stacks.Stack(BEFORE_AGENT_SITE, List.of());
    private final Stacks.Stack nativeCode = new Stacks.Stack(NATIVE_SITE, List.of());

    // The registry key of each record made here: a FileDescriptor of our own, never opened, so that its
    // identity is unique in the open map and its fd number (-1) matches nothing in /proc/self/fd. With the
    // file of /proc/net that lists its socket: the only one a later pass needs to read for it.
    private final Map<Long, Found> found = new HashMap<>();

    private record Found(FileDescriptor key, ProcNet.Table table) {
    }

    // Inodes of ours that are Unix domain sockets (the JDK holds two for its pre-close trick, an attach
    // listener one more): they are never in the INET files, so they need no reading of them.
    private final Set<Long> unix = new HashSet<>();
    /** How long a socket must stay unknown to the hooks before it is taken for a native one. */
    static final long NATIVE_CONFIRM_MILLIS = 1000;

    private record Candidate(String origin, long firstSeenAt) {
        long dueAt() {
            return origin.equals(SocketView.BEFORE_AGENT) ? firstSeenAt : firstSeenAt + NATIVE_CONFIRM_MILLIS;
        }
    }

    // Inodes passes found unknown in /proc/self/fd, with the origin they get once confirmed.
    private Map<Long, Candidate> candidates = new HashMap<>();
    // What a pass returns when no candidate waits to be looked for.
    private static final long NONE = Long.MAX_VALUE;
    private boolean first = true;
    // The sockets open before the hooks were in place, when the installation listed them; null: those
    // the first pass finds unknown (an attach, where the JDK's own sockets keep opening until then).
    private Set<Long> openBeforeHooks;
    // Volatile: readers look at it without the lock, so that none waits for a pass another thread runs.
    private volatile long lastPassAt = Long.MIN_VALUE / 2;
    private final AtomicBoolean refreshQueued = new AtomicBoolean();

    /**
     * How old the last pass may be for a reader that does not wait ({@link #reconcileIfOlderThan(long,
     * Executor)}): what JMX shows of sockets no hook saw is at most this old.
     */
    public static final long STALE_MILLIS = 5000;

    /** Waits on the calling thread; tests move their clock instead. */
    public interface Waiter {
        void waitMillis(long millis);
    }

    private static final Waiter PARK = millis -> {
        long end = System.nanoTime() + millis * 1_000_000;
        for (long left = millis * 1_000_000; left > 0; left = end - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    };

    private final Waiter waiter;

    /**
     * How long a pass that lists an unknown socket waits before it lists again: long enough for a thread
     * descheduled between its system call and its hook to run (8 busy threads on 2 CPUs wait a few
     * timeslices), short beside the second a candidate waits. Listed again at once, a third of the
     * passes of a 4-thread TCP loop on JDK 25 still found a socket unknown twice and read /proc/net.
     */
    static final long RELIST_AFTER_MILLIS = 20;
    private final long relistAfterMillis;

    public Reconciler(Registry registry, ToIntFunction<FileDescriptor> fdVal, Source source, LongSupplier clock) {
        this(registry, fdVal, source, clock, PARK, RELIST_AFTER_MILLIS);
    }

    /** For tests: their waiter moves their clock, and a pass lists again at once. */
    Reconciler(Registry registry, ToIntFunction<FileDescriptor> fdVal, Source source, LongSupplier clock,
               Waiter waiter) {
        this(registry, fdVal, source, clock, waiter, 0);
    }

    private Reconciler(Registry registry, ToIntFunction<FileDescriptor> fdVal, Source source, LongSupplier clock,
                       Waiter waiter, long relistAfterMillis) {
        this.registry = registry;
        this.fdVal = fdVal;
        this.source = source;
        this.clock = clock;
        this.waiter = waiter;
        this.relistAfterMillis = relistAfterMillis;
        this.available = source.available();
    }

    /**
     * Which unknown sockets are {@link SocketView#BEFORE_AGENT}: those of {@code inodes} (the process's
     * sockets before the hooks were in place), every other one native, however late the first pass comes.
     * Without it (or with null), those the first pass finds. Call before that pass.
     */
    public synchronized void openBeforeHooks(Set<Long> inodes) {
        openBeforeHooks = inodes;
    }

    /** False where there is no /proc (not Linux): then reconcile does nothing. */
    public boolean available() {
        return available;
    }

    /**
     * Brings the registry in line with /proc, waiting on the calling thread for the candidates to be
     * confirmed. Never throws: its callers are a report, a reader and the agent's start.
     */
    public synchronized void reconcile() {
        long due = passOrNone();
        if (due != NONE) {
            // Settle the candidates now rather than a whole period later: a report must not miss a native
            // socket only because nobody looked at /proc a second before. At most one wait.
            long wait = due - clock.getAsLong();
            if (wait > 0) {
                waiter.waitMillis(wait);
            }
            passOrNone();
        }
    }

    /**
     * The pass at the agent's start: the sockets from before the hooks are recorded at once; a native
     * candidate (one opened by native code while the hooks were put in place) is not waited for, and is
     * confirmed by the next pass after its second (a scan, a report, a JMX read).
     */
    public synchronized void reconcileAtStart() {
        long due = passOrNone();
        if (due != NONE && due <= clock.getAsLong()) {
            passOrNone();
        }
    }

    /** Runs a task on the agent's thread after a delay: its scheduler. */
    public interface Later {
        void run(Runnable task, long delayMillis);
    }

    /**
     * The periodic scan, on the agent's thread, which must not wait a second: candidates left by the pass
     * are confirmed by one more pass when they are due.
     */
    public synchronized void scan(Later later) {
        long due = passOrNone();
        if (due != NONE) {
            try {
                later.run(this::confirm, Math.max(0, due - clock.getAsLong()));
            } catch (RejectedExecutionException e) {
                // the agent is shutting down
            }
        }
    }

    private synchronized void confirm() {
        passOrNone();
    }

    /** One pass; then when the earliest candidate not yet looked for is due, or {@link #NONE}. */
    private long passOrNone() {
        if (!available) {
            return NONE;
        }
        try {
            return pass();
        } catch (RuntimeException e) {
            return NONE; // what /proc told is incomplete: the next pass tries again
        } finally {
            first = false;
        }
    }

    /**
     * For readers that should not wait for /proc (JMX: with 10000 sockets a pass costs 250-400 ms here, most
     * of it the kernel writing /proc/net/udp6): a pass younger than {@code maxAgeMillis} is reused; an older
     * one is renewed on {@code background} while this read uses it; one older than {@link #STALE_MILLIS},
     * as for the first read after a quiet spell, is renewed on the reader's thread. 0 always renews here.
     */
    public void reconcileIfOlderThan(long maxAgeMillis, Executor background) {
        long age = clock.getAsLong() - lastPassAt;
        if (maxAgeMillis <= 0 || age >= STALE_MILLIS) {
            reconcileIfOlderThan(maxAgeMillis);
        } else if (age >= maxAgeMillis && refreshQueued.compareAndSet(false, true)) {
            try {
                background.execute(this::refresh);
            } catch (RejectedExecutionException e) {
                refreshQueued.set(false); // the agent's thread is shutting down: the next read tries again
            }
        }
    }

    private void refresh() {
        try {
            // A reader's pass: it settles candidates, as one on the reader's thread would.
            reconcile();
        } finally {
            refreshQueued.set(false);
        }
    }

    /** 0 for a report; more for readers that may ask many times a second and can wait for a pass. */
    public synchronized void reconcileIfOlderThan(long maxAgeMillis) {
        if (maxAgeMillis <= 0 || clock.getAsLong() - lastPassAt >= maxAgeMillis) {
            reconcile();
        }
    }

    /**
     * One look at /proc, reading only what can change what it concludes: reading everything (each link of
     * /proc/self/fd, all four files of /proc/net) would conclude the same, as
     * ReconcilerTest.readingLessConcludesWhatReadingEverythingDoes checks. With 10000 sockets, reading
     * everything costs 250-400 ms here, mostly 10000 links and the kernel writing /proc/net/udp6.
     * Returns when the earliest candidate not looked for in this pass is due, or {@link #NONE}.
     */
    private long pass() {
        Listing listing = list();
        if (listing == null) {
            return NONE;
        }
        Set<Long> unknown = unknown(listing);
        if (first && openBeforeHooks != null) {
            // The JDK's unix socketpair for its pre-close trick, made at the first NIO channel (often the agent's
            // own cache read), comes after the installation's listing: set aside now rather than a second later.
            Set<Long> fresh = new HashSet<>(unknown);
            fresh.removeAll(openBeforeHooks);
            setAsideUnix(fresh);
            unknown.removeAll(unix);
        }
        boolean mayBeNative = !first || openBeforeHooks != null && !openBeforeHooks.containsAll(unknown);
        if (mayBeNative && !unknown.isEmpty()) {
            // Under socket churn some socket is nearly always between its system call and its hook. Listed
            // again a moment later, such a socket is known or gone and need not even wait for a confirming pass.
            // Candidates too: one found by the pass at install is due at the next, at once, and may have been
            // a socket the application opened a moment before its hook ran.
            if (relistAfterMillis > 0) {
                PARK.waitMillis(relistAfterMillis);
            }
            listing = list();
            if (listing == null) {
                return NONE;
            }
            unknown.retainAll(unknown(listing));
        }
        // Looking for an unknown socket costs readings of /proc/net (of the INET files, with a busy loop's
        // TIME_WAIT sockets, up to seconds of the kernel's time). It is looked for only once it is due: a
        // socket whose thread was descheduled between its system call and its hook is known or gone by then.
        long seenAt = clock.getAsLong();
        Map<Long, Candidate> next = new HashMap<>();
        Set<Long> due = new HashSet<>();
        long nextDue = NONE;
        for (Long inode : unknown) {
            Candidate c = candidates.get(inode);
            if (c != null && c.dueAt() <= seenAt) {
                due.add(inode);
            } else {
                if (c == null) {
                    boolean beforeHooks = openBeforeHooks != null ? openBeforeHooks.contains(inode) : first;
                    c = new Candidate(beforeHooks ? SocketView.BEFORE_AGENT : SocketView.NATIVE, seenAt);
                }
                nextDue = Math.min(nextDue, c.dueAt());
            }
            next.put(inode, c);
        }
        candidates = next;
        setAsideUnix(due);
        Set<Long> mine = listing.mine();
        Set<Long> hooked = listing.hooked();
        unix.retainAll(mine);
        Set<ProcNet.Table> tables = tablesToRead(due, mine);
        List<ProcSocket> sockets = source.sockets(tables);
        if (sockets == null) {
            return NONE;
        }
        Map<Long, ProcSocket> held = new HashMap<>();
        collect(sockets, mine, held);
        if (seemsClosed(mine, held)) {
            // One reading of /proc/net is not a snapshot: the kernel resumes each read by position, and while
            // other processes open and close sockets a line can be skipped. A socket whose fd is still open
            // must be missing from a second reading too before its record closes (a reset TCP connection
            // keeps its fd but leaves /proc/net, and ss, for good).
            List<ProcSocket> again = source.sockets(tables);
            if (again == null) {
                return NONE;
            }
            collect(again, mine, held);
        }
        long now = clock.getAsLong();
        lastPassAt = now;
        // Complete where it is used: a record is made only for an unknown socket, and then all four were read.
        Set<Integer> listening = new HashSet<>();
        for (ProcSocket s : held.values()) {
            if (s.state().equals("LISTEN")) {
                listening.add(s.localPort());
            }
        }
        for (Iterator<Map.Entry<Long, Found>> it = found.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Found> e = it.next();
            if (hooked.contains(e.getKey())) {
                registry.forget(e.getValue().key());
                it.remove();
            } else if (!held.containsKey(e.getKey())) {
                registry.closed(e.getValue().key(), now, null);
                it.remove();
            }
        }
        // A due socket not listed stays a candidate, looked for at every pass: a native TCP socket not yet
        // bound, or connected, appears in /proc/net later.
        for (Long inode : due) {
            ProcSocket s = held.get(inode);
            if (s != null) {
                found.put(inode, new Found(record(s, candidates.remove(inode).origin(),
                        listening.contains(s.localPort()), now), ProcNet.Table.of(s)));
            }
        }
        return nextDue;
    }

    /** One listing of /proc/self/fd: the inodes of this process's sockets, and those the hooks know. */
    private record Listing(Set<Long> mine, Set<Long> hooked) {
    }

    private Listing list() {
        Map<Integer, Long> known = knownInodes();
        Map<Integer, Long> fds = source.socketFds(known);
        return fds == null ? null : new Listing(new HashSet<>(fds.values()), hooked(fds, known));
    }

    private Set<Long> unknown(Listing listing) {
        Set<Long> unknown = new HashSet<>(listing.mine());
        unknown.removeAll(listing.hooked());
        unknown.removeAll(found.keySet());
        unknown.removeAll(unix);
        return unknown;
    }

    // A hook's socket needs no line of /proc/net. An unknown socket's line may be in any of the four files;
    // without one, only the lines of the records made here whose fd is still open can change anything.
    private Set<ProcNet.Table> tablesToRead(Set<Long> unknown, Set<Long> mine) {
        if (!unknown.isEmpty()) {
            return EnumSet.allOf(ProcNet.Table.class);
        }
        Set<ProcNet.Table> tables = EnumSet.noneOf(ProcNet.Table.class);
        for (Map.Entry<Long, Found> e : found.entrySet()) {
            if (mine.contains(e.getKey())) {
                tables.add(e.getValue().table());
            }
        }
        return tables;
    }

    // A hook's record vouches for the inode a pass read through its fd number while it has that number:
    // the number names no other socket before the close, and the moment between the close and its hook is
    // the reuse of the class comment.
    private Map<Integer, Long> knownInodes() {
        Map<Integer, Long> known = new HashMap<>();
        for (Map.Entry<FileDescriptor, Object> e : registry.openEntries()) {
            SocketRecord r = Registry.recordOf(e.getValue());
            if (r != null && r.procFd >= 0 && r.procFd == fdVal.applyAsInt(e.getKey())) {
                known.put(r.procFd, Integer.toUnsignedLong(r.procInode));
            }
        }
        return known;
    }

    // The inodes of the sockets the hooks know. A record keeps the inode of a link read for its number, not
    // one vouched for: a number another record vouches for is that record's until its close hook runs.
    private Set<Long> hooked(Map<Integer, Long> fds, Map<Integer, Long> known) {
        Set<Long> hooked = new HashSet<>();
        for (Map.Entry<FileDescriptor, Object> e : registry.openEntries()) {
            int fd = fdVal.applyAsInt(e.getKey());
            Long inode = fd < 0 ? null : fds.get(fd);
            if (inode == null) {
                continue;
            }
            hooked.add(inode);
            SocketRecord r = Registry.recordOf(e.getValue());
            if (r != null && !known.containsKey(fd) && inode <= 0xFFFF_FFFFL) {
                r.procFd = fd;
                r.procInode = inode.intValue();
            }
        }
        return hooked;
    }

    private static void collect(List<ProcSocket> sockets, Set<Long> mine, Map<Long, ProcSocket> held) {
        for (ProcSocket s : sockets) {
            if (s.inode() != 0 && mine.contains(s.inode())) {
                held.putIfAbsent(s.inode(), s);
            }
        }
    }

    // A found socket missing from what was read while this process still has its fd.
    private boolean seemsClosed(Set<Long> mine, Map<Long, ProcSocket> held) {
        for (Long inode : found.keySet()) {
            if (mine.contains(inode) && !held.containsKey(inode)) {
                return true;
            }
        }
        return false;
    }

    // A due socket may be a Unix domain socket, which it then stays: the JDK holds one of its own, the end of
    // the socketpair sun.nio.ch keeps for its pre-close dup2 (JDK 25 makes it late, under load). /proc/net/unix
    // is looked at first: it is small, where the INET files of a busy process hold its TIME_WAIT sockets
    // (seconds of the kernel's time in a busy TCP loop). Others not listed anywhere (a TCP socket bound but
    // neither listening nor connected, one not bound yet) are looked for again at the next pass: they may be
    // listed then.
    private void setAsideUnix(Set<Long> due) {
        Set<Long> unixInodes = due.isEmpty() ? null : source.unixInodes();
        if (unixInodes != null) {
            for (Iterator<Long> it = due.iterator(); it.hasNext(); ) {
                Long inode = it.next();
                if (unixInodes.contains(inode)) {
                    unix.add(inode);
                    candidates.remove(inode);
                    it.remove();
                }
            }
        }
    }

    private FileDescriptor record(ProcSocket s, String origin, boolean portListens, long now) {
        boolean udp = s.protocol().equals("udp");
        boolean peer = s.remotePort() != 0;
        SocketRecord.Role role = udp ? (peer ? SocketRecord.Role.CONNECT : SocketRecord.Role.BIND)
                : s.state().equals("LISTEN") ? SocketRecord.Role.LISTEN
                : portListens ? SocketRecord.Role.ACCEPT : SocketRecord.Role.CONNECT;
        boolean inRange = registry.ephemeralRange().contains(s.localPort());
        // Whether the OS chose the port cannot be read back; a client port inside the range almost always was.
        boolean ephemeral = role == SocketRecord.Role.CONNECT && inRange;
        SocketRecord r = new SocketRecord(registry.nextId(), udp, s.family().equals("ipv6"), role, s.localAddress(),
                s.localPort(), ephemeral, inRange, now, origin,
                origin.equals(SocketView.BEFORE_AGENT) ? beforeAgent : nativeCode);
        if (peer) {
            r.remoteAddress = s.remoteAddress();
            r.remotePort = s.remotePort();
        }
        FileDescriptor key = new FileDescriptor();
        registry.opened(key, r);
        return key;
    }
}
