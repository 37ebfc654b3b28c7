package dev.portagent.registry;

import dev.portagent.proc.EphemeralRange;
import java.io.FileDescriptor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Every port the application holds, the recently closed ones, and the counters. The socket path only
 * touches lock-free structures; the digester thread and readers do the formatting.
 */
public final class Registry {

    /** A socket whose kind a bind cannot tell, created but not yet bound: no port, not reported. */
    enum Pending { UDP, LISTENER }

    /**
     * A socket whose local address the JDK reads next, on the same thread (its own Net.localAddress after
     * a bind and after a connect that completed at once): its record waits here for that answer, shown
     * nowhere and counted nowhere. {@code shown} when the record was already shown and counted (a socket
     * bound to the wildcard address that connected: only its address changes).
     */
    static final class Awaiting {
        final SocketRecord record;
        final boolean shown;
        final long since;

        Awaiting(SocketRecord record, boolean shown) {
            this.record = record;
            this.shown = shown;
            this.since = shown ? System.currentTimeMillis() : record.openedAt;
        }
    }

    /**
     * A socket whose answer has not come after this long gets its address from the OS instead, on the
     * digester thread; a snapshot asks for every waiting socket at once. In JDK 17 and 25 only a failed
     * listen() (between bind and Net.localAddress in the server channels) leaves an open socket unanswered.
     */
    static final long ANSWER_GRACE_MILLIS = 500;

    private static final int MAX_SITES = 10_000;
    private static final int MAX_WARNINGS = 1_000;
    static final String OTHER_SITES = "(other sites)";
    static final String UNKNOWN_SITE = "(stack capture off)";

    // Each socket's FileDescriptor object is its key: the kernel reuses an fd number at once, the JDK never
    // reuses the object. The number only places the entry.
    private final OpenSockets open = new OpenSockets();
    private final AtomicReferenceArray<SocketRecord> history;
    private final Queue<SocketRecord> undigested = new ConcurrentLinkedQueue<>();
    private final Queue<SocketRecord> closedUndelivered = new ConcurrentLinkedQueue<>();
    private volatile RegistryObserver observer;
    private final Map<String, SiteCounter> sites = new ConcurrentHashMap<>();
    private final Map<String, Warning> warnings = new LinkedHashMap<>();
    private final Stacks stacks;
    private final EphemeralRange range;
    private final LongSupplier hookFailures;

    // Every event's counters. Among them Counts.AWAITING_ENTRIES, how many Awaiting entries the open map holds:
    // the digester looks for unanswered ones only when some are.
    private final Counts counts = new Counts();
    private volatile JdkSockets os;
    private long unansweredCheckedAt;
    private final java.util.concurrent.atomic.AtomicLong historySeq = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong ids = new java.util.concurrent.atomic.AtomicLong();
    // Null until the agent's thread sets them; no lambdas here, each one costs premain time.
    private volatile LongConsumer reconcileIfOlderThan;
    private final ReentrantLock digestLock = new ReentrantLock();
    // Raw stacks wait in undigested until the digester formats them. A burst of sockets past
    // DIGEST_SOON asks the digester to run at once; past DIGEST_NOW the opening thread helps, so
    // that a starved digester cannot let raw stacks pile up without bound.
    static final int DIGEST_SOON = 1024;
    static final int DIGEST_NOW = 16384;
    private static final int COUNT_DOWN_BATCH = 256;
    private final AtomicInteger undigestedCount = new AtomicInteger();
    private final AtomicBoolean digestRequested = new AtomicBoolean();
    private volatile Runnable digestSoon;
    // Set only by the test that proves needsDigest changes no result.
    private boolean digestEveryOpen;

    /** What a closed record's {@link SocketRecord#connection} holds: the observer was told, or never will be. */
    static final Object CONNECTION_ENDED = new Object();

    // A holder: the VarHandle is made at the first connection, not in premain.
    private static final class Connection {
        static final VarHandle OF_RECORD;

        static {
            try {
                OF_RECORD = MethodHandles.lookup().findVarHandle(SocketRecord.class, "connection", Object.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /**
     * The stack the socket path counted last, and its site's counter: with {@code stack=0}, or past the stack
     * budget, every socket counts under the one same stack, and this spares each the site map's lookup.
     */
    private static final class LastSite {
        final Stacks.Stack stack;
        final SiteCounter counter;

        LastSite(Stacks.Stack stack, SiteCounter counter) {
            this.stack = stack;
            this.counter = counter;
        }
    }

    private volatile LastSite lastSite;

    // An open adds to one of the two, not to "opened" and then "ephemeral": one add a socket.
    private static final class SiteCounter {
        final LongAdder fixedPorts = new LongAdder();
        final LongAdder ephemeral = new LongAdder();
    }

    /** A registry that resolves every raw stack frame by frame. */
    public Registry(EphemeralRange range, int stackDepth, int history, LongSupplier hookFailures) {
        this(range, stackDepth, history, hookFailures, null);
    }

    /** With {@code jdk}, the digester recognises a call path it has resolved before by the JVM's backtrace. */
    public Registry(EphemeralRange range, int stackDepth, int history, LongSupplier hookFailures, JdkStacks jdk) {
        this.range = range;
        this.stacks = new Stacks(stackDepth, jdk);
        this.history = new AtomicReferenceArray<>(Math.max(history, 0));
        this.hookFailures = hookFailures;
    }

    public EphemeralRange ephemeralRange() {
        return range;
    }

    /** One observer at most; set it before the hooks record anything, or it misses what came before. */
    public void observe(RegistryObserver o) {
        observer = o;
    }

    // --- the socket path -------------------------------------------------------------------------

    void pending(FileDescriptor fd, Pending kind) {
        open.putIfAbsent(fd, kind);
    }

    Object get(FileDescriptor fd) {
        return open.get(fd);
    }

    long nextId() {
        return ids.incrementAndGet();
    }

    void opened(FileDescriptor fd, SocketRecord r) {
        open.put(fd, r);
        count(r);
    }

    /** Opens {@code r} only if the socket is still {@code pending}: a close that removed it wins. */
    void openedInPlaceOf(FileDescriptor fd, Pending pending, SocketRecord r) {
        if (open.replace(fd, pending, r)) {
            count(r);
        }
    }

    /**
     * What the registry asks the JDK: each socket's fd number, which places it in the open sockets (call
     * it before the first socket), and on the digester the address of a socket whose answer never came.
     */
    void askJdk(JdkSockets os) {
        this.os = os;
        open.numberWith(os);
    }

    /** A new socket whose record waits for the JDK's answer. */
    void await(FileDescriptor fd, Awaiting a) {
        // Counted once per entry even if two threads raced on the fd: a count that never returned to
        // zero would have the digester scan the open map on every pass.
        if (!(open.put(fd, a) instanceof Awaiting)) {
            counts.add(counts.stripe(), Counts.AWAITING_ENTRIES, 1);
        }
    }

    /** A shown record that waits for the JDK's answer; false when it is no longer open (closed meanwhile). */
    boolean await(FileDescriptor fd, SocketRecord shown, Awaiting a) {
        if (open.replace(fd, shown, a)) {
            counts.add(counts.stripe(), Counts.AWAITING_ENTRIES, 1);
            return true;
        }
        return false;
    }

    /**
     * Completes an awaiting socket with its local address ({@code local} null when it could not be
     * read: the record keeps what it had, as when the recorder's own getsockname failed). Only the
     * first completion counts: a second answer, or a close before it, finds the entry gone. Two racing
     * completions (the JDK's answer and the digester's) write the same fields with the same values.
     */
    void answered(FileDescriptor fd, Awaiting a, InetSocketAddress local) {
        SocketRecord r = a.record;
        if (local != null) {
            r.localAddress = local.getAddress();
            if (!a.shown) {
                r.localPort = local.getPort();
                r.inEphemeralRange = range.contains(r.localPort);
            }
        }
        if (r.remoteAddress != null) {
            // A wildcard peer is known once the local address is.
            r.peer(r.remoteAddress, r.remotePort);
        }
        if (open.replace(fd, a, r)) {
            counts.add(counts.stripe(), Counts.AWAITING_ENTRIES, -1);
            if (!a.shown) {
                count(r);
            }
        }
    }

    private void count(SocketRecord r) {
        // The event counters count what the hooks saw; a socket found in /proc was not a bind we saw.
        counts.add(counts.stripe(), Counts.opened(SocketView.AGENT.equals(r.origin), r.role, r.ephemeral), 1);
        connectionOpened(r);
        if (!digestEveryOpen && !needsDigest(r)) {
            countSiteHere(r, r.stack instanceof Stacks.Stack ? (Stacks.Stack) r.stack : Stacks.NONE);
            return;
        }
        undigested.offer(r);
        int waiting = undigestedCount.incrementAndGet();
        if (waiting >= DIGEST_SOON) {
            if (waiting >= DIGEST_NOW && digestLock.tryLock()) {
                try {
                    digestLocked();
                } finally {
                    digestLock.unlock();
                }
            } else if (digestRequested.compareAndSet(false, true)) {
                Runnable soon = digestSoon;
                if (soon != null) {
                    soon.run();
                }
            }
        }
    }

    /**
     * Whether the digester has anything to do for this open: a raw stack to resolve, a fixed port in the
     * ephemeral range to warn of, or an observer that wants its view, now or after a change of role before
     * the digester gets to it (a TCP socket bound and not yet connected may connect; a UDP socket is
     * "connect" while connected). Else the opening thread counts its site, and the queue, the digester
     * and the caches of two cores are spared it: in loops with {@code stack=0}, or past the stack budget,
     * that is every socket unless {@code notify=all}.
     */
    private boolean needsDigest(SocketRecord r) {
        if (r.stack instanceof Throwable || fixedPortInEphemeralRange(r)) {
            return true;
        }
        RegistryObserver o = observer;
        if (o == null) {
            return false;
        }
        try {
            SocketRecord.Role role = r.role;
            if (r.udp || role == SocketRecord.Role.BIND) {
                return o.wants(r.udp, SocketRecord.Role.BIND.json, r.ephemeral)
                        || o.wants(r.udp, SocketRecord.Role.CONNECT.json, r.ephemeral);
            }
            return o.wants(false, role.json, r.ephemeral);
        } catch (Throwable t) {
            return true; // let the digester find out, as in hearsOfClose
        }
    }

    private static boolean fixedPortInEphemeralRange(SocketRecord r) {
        return !r.ephemeral && r.inEphemeralRange && r.role != SocketRecord.Role.ACCEPT
                && SocketView.AGENT.equals(r.origin);
    }

    /** On the socket path, whose stacks are the few shared ones of {@code stack=0} and of past the budget. */
    private void countSiteHere(SocketRecord r, Stacks.Stack stack) {
        LastSite last = lastSite;
        if (last == null || last.stack != stack) {
            last = new LastSite(stack, siteCounter(stack));
            lastSite = last;
        }
        countIn(r, last.counter);
    }

    private void countSite(SocketRecord r, Stacks.Stack stack) {
        countIn(r, siteCounter(stack));
    }

    private SiteCounter siteCounter(Stacks.Stack stack) {
        String site = siteKey(stack);
        SiteCounter c = sites.get(site);
        if (c == null) {
            c = sites.size() < MAX_SITES ? sites.computeIfAbsent(site, s -> new SiteCounter())
                    : sites.computeIfAbsent(OTHER_SITES, s -> new SiteCounter());
        }
        return c;
    }

    private static void countIn(SocketRecord r, SiteCounter c) {
        (r.ephemeral ? c.ephemeral : c.fixedPorts).increment();
    }

    void digestEveryOpen() {
        digestEveryOpen = true;
    }

    int undigested() {
        return undigestedCount.get();
    }

    /** How to get {@link #digest} run soon without waiting for it, e.g. by handing it to a thread. */
    public void digestSoonWith(Runnable request) {
        digestSoon = request;
    }

    /** A bound socket connected (TCP bind-then-connect, or UDP): no new port. */
    void connectedBound(SocketRecord r) {
        counts.add(counts.stripe(), Counts.CONNECTED_BOUND, 1);
        connectionOpened(r);
    }

    /**
     * Tells the observer of an outgoing TCP connection whose port the OS chose, on the connecting thread:
     * ephemeral-port pressure is counted at once, and the digester need not see the socket. The socket
     * is open here; if a close on another thread took the record meanwhile and found nothing to tell,
     * this thread tells the close too, so the observer hears each connection's close once, after its open.
     */
    private void connectionOpened(SocketRecord r) {
        RegistryObserver o = observer;
        InetAddress remote = r.remoteAddress;
        if (o == null || !connection(r, remote) || r.connection != null) {
            return;
        }
        Object c;
        try {
            c = o.connectionOpened(remote, r.ipv6, r.remotePort);
        } catch (Throwable t) {
            return; // an observer's failure must not fail the hook
        }
        if (c != null && !Connection.OF_RECORD.compareAndSet(r, (Object) null, c)) {
            // Closed meanwhile; or counted by a connect of the same socket on another thread: then nothing closed.
            tellClosed(o, c, r.closedAt, r.connection != CONNECTION_ENDED || r.error != null);
        }
    }

    /**
     * The record's connection, if the observer counts one, ends: at a close, and at {@link #forget} with
     * {@code duplicate} (the connection is another record's, which counts it). Every TCP socket whose port
     * the OS chose is marked, so that a connect racing with this close counts nothing after it.
     */
    private void connectionEnded(SocketRecord r, boolean duplicate) {
        if (r.udp || !r.ephemeral) {
            return;
        }
        Object c = Connection.OF_RECORD.getAndSet(r, CONNECTION_ENDED);
        RegistryObserver o = observer;
        if (c != null && c != CONNECTION_ENDED && o != null) {
            tellClosed(o, c, r.closedAt, duplicate || r.error != null);
        }
    }

    private static void tellClosed(RegistryObserver o, Object connection, long closedAt, boolean failed) {
        try {
            o.connectionClosed(connection, closedAt, failed);
        } catch (Throwable ignored) {
            // as in tell()
        }
    }

    void closed(FileDescriptor fd, long now, String error) {
        Object v = open.remove(fd);
        int stripe = counts.stripe();
        if (v instanceof Awaiting) {
            counts.add(stripe, Counts.AWAITING_ENTRIES, -1);
            // Closed before the JDK read its address: a new socket's port was never known, and it leaves
            // no trace (like one closed before its bind); a shown one closes as it was.
            Awaiting a = (Awaiting) v;
            v = a.shown ? a.record : null;
        }
        if (v instanceof SocketRecord) {
            SocketRecord r = (SocketRecord) v;
            r.close(now, error);
            // Like binds and connects, closes count what the hooks saw.
            counts.add(stripe, Counts.closed(SocketView.AGENT.equals(r.origin), r.ephemeral), 1);
            remember(r, stripe);
            connectionEnded(r, false);
            RegistryObserver o = observer;
            if (o != null && hearsOfClose(o, r)) {
                closedUndelivered.offer(r);
            }
        }
    }

    // --- for the Reconciler ---------------------------------------------------------------------------

    /** The open map: hook records and pending sockets, and the Reconciler's own keys and records. */
    List<Map.Entry<FileDescriptor, Object>> openEntries() {
        return open.entries();
    }

    /** The record an open-map value holds, or null for a socket not yet bound. */
    static SocketRecord recordOf(Object value) {
        return value instanceof SocketRecord ? (SocketRecord) value
                : value instanceof Awaiting ? ((Awaiting) value).record : null;
    }

    /** Drops an open record as if it had never been made: a hook turned out to know the socket after all. */
    void forget(FileDescriptor key) {
        Object v = open.remove(key);
        if (v instanceof SocketRecord) {
            SocketRecord r = (SocketRecord) v;
            counts.add(counts.stripe(), Counts.forgotten(r.ephemeral), 1);
            connectionEnded(r, true);
        }
    }

    /** What brings the registry in line with /proc before a snapshot, on the reader's thread: the Reconciler. */
    public void reconcileWith(LongConsumer reconcileIfOlderThanMillis) {
        reconcileIfOlderThan = reconcileIfOlderThanMillis;
    }

    private void remember(SocketRecord r, int stripe) {
        int capacity = history.length();
        if (capacity == 0) {
            counts.add(stripe, Counts.HISTORY_DROPS, 1);
            return;
        }
        int slot = (int) Math.floorMod(historySeq.getAndIncrement(), (long) capacity);
        // A read and a release store, not a getAndSet (a locked exchange on every close). Two closes a whole
        // ring apart racing for one slot both find a record there, count a drop each, and two records are
        // dropped. Only if both find it still empty (a close that waited a whole lap between taking its slot
        // and filling it) does one drop go uncounted.
        if (history.get(slot) != null) {
            counts.add(stripe, Counts.HISTORY_DROPS, 1);
        }
        history.setRelease(slot, r);
    }

    // --- off the socket path -------------------------------------------------------------------------

    /** Resolves raw stacks into shared ones and counts sites; the digester thread calls it often. */
    public void digest() {
        digest(ANSWER_GRACE_MILLIS);
    }

    private void digest(long answerGraceMillis) {
        digestLock.lock();
        try {
            digestRequested.set(false);
            settleUnanswered(answerGraceMillis);
            digestLocked();
        } finally {
            digestLock.unlock();
        }
    }

    /**
     * The fallback for a socket the JDK's answer never reached: asks the OS, as the recorder did before
     * the answer was used. Scans the open map at most once per grace period, and only while some socket
     * waits. Off its own thread the socket may be closing: getsockname then fails and the close removes
     * the entry, unless the fd number was reused in between, the one case where a port could be wrong.
     */
    private void settleUnanswered(long graceMillis) {
        JdkSockets o = os;
        if (o == null || counts.sum(Counts.AWAITING_ENTRIES) == 0) {
            return;
        }
        long now = System.currentTimeMillis();
        if (graceMillis > 0 && now - unansweredCheckedAt < graceMillis) {
            return;
        }
        unansweredCheckedAt = now;
        for (Map.Entry<FileDescriptor, Object> e : open.entries()) {
            Object v = e.getValue();
            if (v instanceof Awaiting && now - ((Awaiting) v).since >= graceMillis) {
                answered(e.getKey(), (Awaiting) v, o.localAddress(e.getKey()));
            }
        }
    }

    private void digestLocked() {
        RegistryObserver o = observer;
        // Closes are taken first: the open of each of them is then already in undigested.
        List<SocketRecord> closedNow = new ArrayList<>();
        for (SocketRecord c; o != null && (c = closedUndelivered.poll()) != null; ) {
            closedNow.add(c);
        }
        // Counted down in batches, not per record: the count is shared with every opening thread.
        int polled = 0;
        try {
            for (SocketRecord r; (r = undigested.poll()) != null; ) {
                if (++polled == COUNT_DOWN_BATCH) {
                    undigestedCount.addAndGet(-polled);
                    polled = 0;
                }
                digestOpened(o, r);
            }
        } finally {
            if (polled != 0) {
                undigestedCount.addAndGet(-polled);
            }
        }
        for (SocketRecord c : closedNow) {
            tell(o, c, false);
        }
    }

    private void digestOpened(RegistryObserver o, SocketRecord r) {
        Stacks.Stack stack = r.stack instanceof Throwable ? stacks.resolve((Throwable) r.stack)
                : r.stack instanceof Stacks.Stack ? (Stacks.Stack) r.stack : Stacks.NONE;
        r.stack = stack;
        countSite(r, stack);
        if (fixedPortInEphemeralRange(r)) {
            warn(Warning.FIXED_PORT_IN_EPHEMERAL_RANGE, "port " + r.localPort + " was asked for by "
                    + (stack.site == null ? "code unknown (stack capture off)" : stack.site)
                    + " but lies inside the OS ephemeral range " + range.low() + "-" + range.high()
                    + " (" + range.source() + "): the kernel may give it to an outgoing connection first,"
                    + " and the bind then fails with \"Address already in use\"", r.localPort);
        }
        if (o != null) {
            tell(o, r, true);
        }
    }

    /** An outgoing TCP connection whose port the OS chose: what {@link RegistryObserver#connectionOpened} is told of. */
    private static boolean connection(SocketRecord r, InetAddress remote) {
        return !r.udp && r.role == SocketRecord.Role.CONNECT && r.ephemeral && remote != null;
    }

    /**
     * Whether {@link #tell} would tell the observer anything of this close. Asked on the closing thread:
     * nothing that decides it changes once the record is closed, and a close nobody hears of is not queued.
     */
    private static boolean hearsOfClose(RegistryObserver o, SocketRecord r) {
        try {
            return o.wants(r.udp, r.role.json, r.ephemeral);
        } catch (Throwable t) {
            return true; // let the digester find out, as before
        }
    }

    private static void tell(RegistryObserver o, SocketRecord r, boolean opened) {
        try {
            if (!o.wants(r.udp, r.role.json, r.ephemeral)) {
                return;
            }
            if (opened) {
                o.opened(view(r));
            } else {
                o.closed(view(r));
            }
        } catch (Throwable ignored) {
            // an observer's failure must not stop the digester
        }
    }

    public void warn(String type, String message, int port) {
        Warning added = null;
        synchronized (warnings) {
            if (warnings.size() < MAX_WARNINGS) {
                Warning w = new Warning(type, message, port);
                added = warnings.putIfAbsent(type + ':' + port + ':' + message, w) == null ? w : null;
            }
        }
        RegistryObserver o = observer;
        if (added != null && o != null) {
            try {
                o.warned(added);
            } catch (Throwable ignored) {
                // as in tell()
            }
        }
    }

    private static String siteKey(Stacks.Stack stack) {
        return stack.site == null ? UNKNOWN_SITE : stack.site;
    }

    public void clearHistory() {
        for (int i = 0; i < history.length(); i++) {
            history.set(i, null);
        }
    }

    public Snapshot.Counters counters() {
        long[] t = counts.totals();
        return new Snapshot.Counters(t[Counts.OPEN], t[Counts.OPEN_EPHEMERAL], t[Counts.EPHEMERAL_ALLOCATED],
                t[Counts.BINDS], t[Counts.CONNECTS], t[Counts.ACCEPTS], t[Counts.CLOSES], t[Counts.DROPPED_HISTORY],
                hookFailures.getAsLong());
    }

    /**
     * For readers that may come in bursts (JConsole reads every attribute at once, each a snapshot): a
     * /proc pass younger than this is reused; what the agent wires for {@link #reconcileWith} renews an
     * older one without making the reader wait, unless it is older than {@link Reconciler#STALE_MILLIS}.
     * Not less: a pass over 10000 sockets takes tens of milliseconds of CPU, a few hundred when it must read
     * /proc/net, and passes back to back slowed every read of a burst on two CPUs (JMX medians up by half
     * when this was 250 ms, with passes that always read /proc/net).
     */
    public static final long READER_RECONCILE_MILLIS = 1000;

    public Snapshot snapshot() {
        return snapshot(READER_RECONCILE_MILLIS);
    }

    // Classes, not lambdas or Comparator's combinators: the first snapshot is often a short program's report
    // at exit, and each lambda shape spins method-handle classes the first time (about 5 ms of them here).
    private static final class Order {
        static final Comparator<SocketView> BY_ID = new Comparator<>() {
            @Override
            public int compare(SocketView a, SocketView b) {
                return Long.compare(a.id(), b.id());
            }
        };
        static final Comparator<SiteView> MOST_OPENED_FIRST = new Comparator<>() {
            @Override
            public int compare(SiteView a, SiteView b) {
                int byOpened = Long.compare(b.opened(), a.opened());
                return byOpened != 0 ? byOpened : a.site().compareTo(b.site());
            }
        };
    }

    /** A report passes 0: what it says is open must be open now, also a socket closed a moment ago. */
    public Snapshot snapshot(long reconcileIfOlderThanMillis) {
        LongConsumer reconcile = reconcileIfOlderThan;
        if (reconcile != null) {
            reconcile.accept(reconcileIfOlderThanMillis);
        }
        // What a snapshot shows is complete: no socket is left waiting for the JDK's answer.
        digest(0);
        long now = System.currentTimeMillis();
        // The counters before the table: a close removes its record before it counts, so a close the counters
        // count is not in the open map read after them. Read the other way round, a socket closed in between
        // was shown open beside a summary that counted its close (ConcurrencyIT on JDK 25, under load).
        Snapshot.Counters counters = counters();
        List<SocketRecord> openRecords = new ArrayList<>();
        for (Map.Entry<FileDescriptor, Object> e : open.entries()) {
            if (e.getValue() instanceof SocketRecord) {
                openRecords.add((SocketRecord) e.getValue());
            }
        }
        List<SocketView> closedViews = new ArrayList<>();
        for (int i = 0; i < history.length(); i++) {
            SocketRecord r = history.get(i);
            if (r != null) {
                closedViews.add(view(r));
            }
        }
        // Viewed after the history was read: one still open then was not in it. One that closed meanwhile may be.
        List<SocketView> openViews = new ArrayList<>();
        List<SocketView> closedMeanwhile = new ArrayList<>();
        Map<String, long[]> openBySite = new LinkedHashMap<>();
        for (SocketRecord r : openRecords) {
            SocketView view = view(r);
            if (view.open()) {
                openViews.add(view);
                String site = view.site() == null ? UNKNOWN_SITE : view.site();
                long[] count = openBySite.get(site);
                if (count == null) {
                    count = new long[1];
                    openBySite.put(site, count);
                }
                count[0]++;
            } else {
                closedMeanwhile.add(view);
            }
        }
        if (!closedMeanwhile.isEmpty()) {
            Set<Long> inHistory = new HashSet<>();
            for (SocketView v : closedViews) {
                inHistory.add(v.id());
            }
            for (SocketView v : closedMeanwhile) {
                if (!inHistory.contains(v.id())) {
                    closedViews.add(v);
                }
            }
        }
        openViews.sort(Order.BY_ID);
        closedViews.sort(Order.BY_ID);
        List<SiteView> siteViews = new ArrayList<>();
        for (Map.Entry<String, SiteCounter> e : sites.entrySet()) {
            long[] openAtSite = openBySite.get(e.getKey());
            long ephemeral = e.getValue().ephemeral.sum();
            siteViews.add(new SiteView(e.getKey(), e.getValue().fixedPorts.sum() + ephemeral,
                    openAtSite == null ? 0 : openAtSite[0], ephemeral));
        }
        siteViews.sort(Order.MOST_OPENED_FIRST);
        List<Warning> warningList;
        synchronized (warnings) {
            warningList = new ArrayList<>(warnings.values());
        }
        long failures = hookFailures.getAsLong();
        if (failures > 0) {
            warningList.add(new Warning(Warning.AGENT_ERROR, failures
                    + " socket events could not be recorded because of an error inside portagent; the application was not affected", 0));
        }
        return new Snapshot(now, range, counters, List.copyOf(openViews), List.copyOf(closedViews),
                List.copyOf(siteViews), List.copyOf(warningList));
    }

    static SocketView view(SocketRecord r) {
        Object s = r.stack;
        Stacks.Stack stack = s instanceof Stacks.Stack ? (Stacks.Stack) s : Stacks.NONE;
        long closedAt = r.closedAt;
        InetAddress remote = r.remoteAddress;
        return new SocketView(r.id, r.udp ? "udp" : "tcp", r.role.json, r.ipv6 ? "ipv6" : "ipv4",
                address(r.localAddress, r.ipv6), r.localPort, remote == null ? null : address(remote, r.ipv6),
                remote == null ? 0 : r.remotePort, r.requestedPort, r.ephemeral, r.inEphemeralRange,
                closedAt == 0 ? "open" : "closed", r.openedAt, closedAt, r.thread, r.threadId, r.virtual,
                stack.site, stack.frames, r.error, r.origin);
    }

    /** The address as ss shows it: an IPv4 address on an AF_INET6 socket is IPv4-mapped. */
    public static String address(InetAddress a, boolean ipv6Socket) {
        if (a == null) {
            return ipv6Socket ? "::" : "0.0.0.0";
        }
        if (a instanceof Inet4Address) {
            if (!ipv6Socket) {
                return a.getHostAddress();
            }
            // The JDK binds an AF_INET6 socket asked for 0.0.0.0 to "::", never to "::ffff:0.0.0.0".
            return a.isAnyLocalAddress() ? "::" : "::ffff:" + a.getHostAddress();
        }
        return compress((Inet6Address) a);
    }

    /** RFC 5952 text: the longest run of zero groups becomes "::". */
    static String compress(Inet6Address a) {
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1, bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLen - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(g[i]));
        }
        if (a.getScopeId() != 0 || a.getScopedInterface() != null) {
            out.append('%').append(a.getScopedInterface() != null ? a.getScopedInterface().getName() : a.getScopeId());
        }
        return out.toString();
    }
}
