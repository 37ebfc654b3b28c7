package dev.portagent.jmx;

import dev.portagent.registry.Registry;
import dev.portagent.report.Formats;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * How close the application is to running out of ephemeral ports towards one destination.
 *
 * <p>For an outgoing TCP connection the kernel needs a local port that no other socket uses towards
 * the same remote address and port: connections to different destinations may share local ports,
 * so the limit is per destination. A port stays taken while the connection is open and, for the
 * side that closed first, about 60 s longer in TIME_WAIT, which we cannot see and so assume. Bounded
 * in destinations and in time buckets.
 *
 * <p>Counted on the threads that open and close the connections, so it takes no lock: every count is
 * an atomic, and a destination is forgotten only by a reader ({@link #worst}), through a
 * compare-and-set that an opening thread sees before it counts there (see {@link Destination#open}).
 */
final class EphemeralPressure {

    static final long TIME_WAIT_MILLIS = 60_000;
    // One-second buckets: "closed less than 60 s ago" is counted to the second.
    private static final int BUCKETS = (int) (TIME_WAIT_MILLIS / 1000);
    static final int MAX_DESTINATIONS = 4096;
    private static final int FORGOTTEN = Integer.MIN_VALUE;

    /** The worst destination at one moment; destination is null when nothing counts. */
    record Worst(double percent, String destination, int open, int recentlyClosed, int rangeSize) {
        int held() {
            return open + recentlyClosed;
        }
    }

    /**
     * A destination as the kernel tells them apart: the scope is part of a link-local address, not of equals.
     * Not a record: a record's first {@code hashCode} bootstraps {@code ObjectMethods}, which spins about 60
     * method-handle classes (35 ms of the first connection's thread on JDK 17).
     */
    private static final class Key {
        private final InetAddress address;
        private final int port;
        private final int scope;

        private Key(InetAddress address, int port, int scope) {
            this.address = address;
            this.port = port;
            this.scope = scope;
        }

        static Key of(InetAddress remote, int port) {
            return new Key(remote, port, remote instanceof Inet6Address ? ((Inet6Address) remote).getScopeId() : 0);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.port == port && k.scope == scope && k.address.equals(address);
        }

        @Override
        public int hashCode() {
            return (address.hashCode() * 31 + port) * 31 + scope;
        }
    }

    /** What {@link #opened} returns and {@link #closed} takes: the destination the connection counts in. */
    static final class Destination {
        final Key key;
        final String text;
        /** Open connections; {@link #FORGOTTEN} while a reader forgets the destination (it had none). */
        final AtomicInteger open = new AtomicInteger();
        /** Per second of the last minute: the second (high 32 bits, unsigned) and the closes in it (low 32). */
        final AtomicLongArray closedIn = new AtomicLongArray(BUCKETS);

        Destination(Key key, String text) {
            this.key = key;
            this.text = text;
        }

        int open() {
            int n = open.get();
            return n == FORGOTTEN ? 0 : n;
        }

        int recent(long nowSecond) {
            int sum = 0;
            for (int i = 0; i < BUCKETS; i++) {
                long v = closedIn.get(i);
                long second = v >>> 32;
                if (nowSecond - second < BUCKETS && second <= nowSecond) {
                    sum += (int) v;
                }
            }
            return sum;
        }

        void closedAt(long second) {
            if (second <= 0 || second > 0xFFFF_FFFFL) {
                return; // a clock before 1970 or after 2106
            }
            int i = (int) (second % BUCKETS);
            for (;;) {
                long v = closedIn.get(i);
                long held = v >>> 32;
                long next;
                if (held == second) {
                    next = v + 1;
                } else if (held < second) {
                    next = second << 32 | 1;
                } else {
                    return; // the bucket already counts a second a minute later: this close is out of the window
                }
                if (closedIn.compareAndSet(i, v, next)) {
                    return;
                }
            }
        }
    }

    private final int rangeSize;
    private final Map<Key, Destination> destinations = new ConcurrentHashMap<>();
    private final LongAdder untracked = new LongAdder();

    EphemeralPressure(int rangeSize) {
        this.rangeSize = Math.max(rangeSize, 1);
    }

    /**
     * The destination's text: the remote address as {@link Registry#address} shows it, IPv4-mapped ones
     * as IPv4 (a dual-stack socket connecting to an IPv4 address makes an IPv4 connection), and the port.
     */
    static String destination(String remoteAddress, int remotePort) {
        String address = remoteAddress;
        if (address.startsWith("::ffff:") && address.indexOf('.') > 0) {
            address = address.substring("::ffff:".length());
        }
        return Formats.endpoint(address, remotePort);
    }

    /**
     * An outgoing TCP connection whose port the OS chose (see
     * {@link dev.portagent.registry.RegistryObserver#connectionOpened}); null when it is not counted, its
     * destination being one too many ({@link #MAX_DESTINATIONS}: idle ones are forgotten by {@link #worst}).
     */
    Destination opened(InetAddress remote, boolean ipv6Socket, int remotePort) {
        Key key = Key.of(remote, remotePort);
        Destination d = destinations.get(key);
        for (int tries = 0; ; tries++) {
            if (d == null) {
                if (destinations.size() >= MAX_DESTINATIONS) {
                    untracked.increment();
                    return null;
                }
                Destination fresh = new Destination(key, destination(Registry.address(remote, ipv6Socket), remotePort));
                d = destinations.putIfAbsent(key, fresh);
                if (d == null) {
                    d = fresh;
                }
            }
            int n = d.open.get();
            if (n != FORGOTTEN) {
                if (d.open.compareAndSet(n, n + 1)) {
                    return d;
                }
                continue;
            }
            // A reader is forgetting it: it either removes it from the map or gives it back, at once.
            if (tries > 16) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
            d = destinations.get(key);
        }
    }

    /** {@code failed}: a refused or failed connect, which never reached ESTABLISHED: no TIME_WAIT follows. */
    static void closed(Destination d, long closedAt, boolean failed) {
        if (!failed) {
            // Before the count falls: a reader that finds it at 0 then also finds this close.
            d.closedAt(Math.floorDiv(closedAt, 1000L));
        }
        d.open.decrementAndGet();
    }

    /** The destination with most ports held now; also forgets destinations that hold none. */
    Worst worst(long nowMillis) {
        forgetIdle(nowMillis);
        long nowSecond = Math.floorDiv(nowMillis, 1000L);
        String worst = null;
        int open = 0;
        int recent = 0;
        for (Destination d : destinations.values()) {
            int o = d.open();
            int r = d.recent(nowSecond);
            if (o + r > 0 && (worst == null || o + r > open + recent)) {
                worst = d.text;
                open = o;
                recent = r;
            }
        }
        return new Worst(100.0 * (open + recent) / rangeSize, worst, open, recent, rangeSize);
    }

    /** Connections to destinations beyond {@link #MAX_DESTINATIONS} that were not counted. */
    long untracked() {
        return untracked.sum();
    }

    int destinations() {
        return destinations.size();
    }

    /** Whether the destination is still the one its connections count in, not one forgotten. */
    boolean tracks(Destination d) {
        return destinations.get(d.key) == d;
    }

    /** Open connections counted towards the destination of this text. */
    int openTo(String destination) {
        int n = 0;
        for (Destination d : destinations.values()) {
            n += d.text.equals(destination) ? d.open() : 0;
        }
        return n;
    }

    private void forgetIdle(long nowMillis) {
        long nowSecond = Math.floorDiv(nowMillis, 1000L);
        for (Iterator<Destination> it = destinations.values().iterator(); it.hasNext(); ) {
            Destination d = it.next();
            // Claimed first, the closes then read: a close counts its TIME_WAIT before its count falls to 0.
            if (d.open.get() == 0 && d.open.compareAndSet(0, FORGOTTEN)) {
                if (d.recent(nowSecond) == 0) {
                    destinations.remove(d.key, d);
                } else {
                    d.open.set(0);
                }
            }
        }
    }
}
