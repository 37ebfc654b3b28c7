package dev.portagent.registry;

import dev.portagent.proc.ProcNet;
import dev.portagent.proc.ProcSocket;
import java.io.FileDescriptor;
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
 * so this runs at install, on the portagent thread and on the thread that asks for a report; never on
 * a socket path.
 *
 * <p>Sockets are matched by inode, which is exact even where several sockets share a port (SO_REUSEPORT
 * listeners, multicast receivers); the inode of a hook's socket is that of its fd number in
 * /proc/self/fd. What could make a hook's socket look unknown, and why it does not:
 * <ul>
 *   <li>A socket opened while a pass runs: /proc is read before the registry, so a socket the hooks
 *       record after the read is not in what was read.</li>
 *   <li>A socket between its system call and its hook (a connect has returned, the hook has not yet
 *       recorded it; on a loaded machine a thread can wait there for many milliseconds, or sit out a
 *       GC pause): it becomes a native record only when a pass at least {@link #NATIVE_CONFIRM_MILLIS}
 *       after the first still finds it unknown. Should a hook still record it after that, the next
 *       pass finds the inode claimed and forgets the /proc record. Sockets found at install are
 *       confirmed by a second pass at once: the hooks were not there when they were opened.</li>
 *   <li>An fd number closed and reused between the two reads: the number now names the newer socket,
 *       which then counts as known for one pass; that delays a native record, never invents one.</li>
 * </ul>
 */
public final class Reconciler {

    /** What a pass reads from the OS. A null answer means "could not read", not "nothing there". */
    public interface Source {
        boolean available();

        /** fd number to socket inode for this process, or null. */
        Map<Integer, Long> socketFds();

        /** The INET sockets of this process's network namespace, or null. */
        List<ProcSocket> sockets();
    }

    public static final Source PROC = new Source() {
        private final long self = ProcNet.selfPid();

        @Override
        public boolean available() {
            return ProcNet.available() && ProcNet.socketFds(self) != null;
        }

        @Override
        public Map<Integer, Long> socketFds() {
            return ProcNet.socketFds(self);
        }

        @Override
        public List<ProcSocket> sockets() {
            return ProcNet.readAllOrNull();
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
    // identity is unique in the open map and its fd number (-1) matches nothing in /proc/self/fd.
    private final Map<Long, FileDescriptor> found = new HashMap<>();
    /** How long a socket must stay unknown to the hooks before it is taken for a native one. */
    static final long NATIVE_CONFIRM_MILLIS = 1000;

    private record Candidate(String origin, long firstSeenAt) {
    }

    // Inodes passes found unknown, with the origin they get once confirmed.
    private Map<Long, Candidate> candidates = new HashMap<>();
    private boolean first = true;
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

    public Reconciler(Registry registry, ToIntFunction<FileDescriptor> fdVal, Source source, LongSupplier clock) {
        this(registry, fdVal, source, clock, PARK);
    }

    public Reconciler(Registry registry, ToIntFunction<FileDescriptor> fdVal, Source source, LongSupplier clock,
                      Waiter waiter) {
        this.registry = registry;
        this.fdVal = fdVal;
        this.source = source;
        this.clock = clock;
        this.waiter = waiter;
        this.available = source.available();
    }

    /** False where there is no /proc (not Linux): then reconcile does nothing. */
    public boolean available() {
        return available;
    }

    /** Brings the registry in line with /proc. Never throws: its callers are a report and the scheduler. */
    public synchronized void reconcile() {
        if (!available) {
            return;
        }
        try {
            pass();
            if (!candidates.isEmpty()) {
                // Settle the candidates now rather than a whole period later: a report must not miss a
                // native socket only because nobody looked at /proc a second before. At most one wait.
                long oldest = Long.MAX_VALUE;
                for (Candidate c : candidates.values()) {
                    oldest = Math.min(oldest, c.origin().equals(SocketView.BEFORE_AGENT) ? Long.MIN_VALUE : c.firstSeenAt());
                }
                long wait = oldest == Long.MIN_VALUE ? 0 : oldest + NATIVE_CONFIRM_MILLIS - clock.getAsLong();
                if (wait > 0) {
                    waiter.waitMillis(wait);
                }
                pass();
            }
        } catch (RuntimeException e) {
            // what /proc told is incomplete: the next pass tries again
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

    private void pass() {
        Map<Integer, Long> fds = source.socketFds();
        // No socket fd, nothing to look up: premain usually costs one small directory read.
        List<ProcSocket> sockets = fds == null ? null : fds.isEmpty() ? List.of() : source.sockets();
        if (sockets == null) {
            return;
        }
        Set<Long> mine = new HashSet<>(fds.values());
        Map<Long, ProcSocket> held = new HashMap<>();
        collect(sockets, mine, held);
        if (seemsClosed(mine, held)) {
            // One reading of /proc/net is not a snapshot: the kernel resumes each read by position, and while
            // other processes open and close sockets a line can be skipped. A socket whose fd is still open
            // must be missing from a second reading too before its record closes (a reset TCP connection
            // keeps its fd but leaves /proc/net, and ss, for good).
            List<ProcSocket> again = source.sockets();
            if (again == null) {
                return;
            }
            collect(again, mine, held);
        }
        long now = clock.getAsLong();
        lastPassAt = now;
        Set<Integer> listening = new HashSet<>();
        for (ProcSocket s : held.values()) {
            if (s.state().equals("LISTEN")) {
                listening.add(s.localPort());
            }
        }
        Set<Long> hooked = new HashSet<>();
        for (FileDescriptor key : registry.descriptors()) {
            int fd = fdVal.applyAsInt(key);
            Long inode = fd < 0 ? null : fds.get(fd);
            if (inode != null) {
                hooked.add(inode);
            }
        }
        for (Iterator<Map.Entry<Long, FileDescriptor>> it = found.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, FileDescriptor> e = it.next();
            if (hooked.contains(e.getKey())) {
                registry.forget(e.getValue());
                it.remove();
            } else if (!held.containsKey(e.getKey())) {
                registry.closed(e.getValue(), now, null);
                it.remove();
            }
        }
        Map<Long, Candidate> unconfirmed = new HashMap<>();
        for (ProcSocket s : held.values()) {
            if (hooked.contains(s.inode()) || found.containsKey(s.inode())) {
                continue;
            }
            Candidate c = candidates.get(s.inode());
            if (c == null) {
                unconfirmed.put(s.inode(), new Candidate(first ? SocketView.BEFORE_AGENT : SocketView.NATIVE, now));
            } else if (c.origin().equals(SocketView.BEFORE_AGENT) || now - c.firstSeenAt() >= NATIVE_CONFIRM_MILLIS) {
                found.put(s.inode(), record(s, c.origin(), listening.contains(s.localPort()), now));
            } else {
                unconfirmed.put(s.inode(), c);
            }
        }
        candidates = unconfirmed;
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
