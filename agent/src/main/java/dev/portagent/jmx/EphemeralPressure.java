package dev.portagent.jmx;

import dev.portagent.registry.Registry;
import dev.portagent.report.Formats;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * How close the application is to running out of ephemeral ports towards one destination.
 *
 * <p>For an outgoing TCP connection the kernel needs a local port that no other socket uses towards
 * the same remote address and port: connections to different destinations may share local ports,
 * so the limit is per destination. A port stays taken while the connection is open and, for the
 * side that closed first, about 60 s longer in TIME_WAIT, which we cannot see and so assume. Fed by
 * the registry's observer, never on the socket path; bounded in destinations and in time buckets.
 */
final class EphemeralPressure {

    static final long TIME_WAIT_MILLIS = 60_000;
    // One-second buckets: "closed less than 60 s ago" is counted to the second.
    private static final int BUCKETS = (int) (TIME_WAIT_MILLIS / 1000);
    static final int MAX_DESTINATIONS = 4096;

    /** The worst destination at one moment; destination is null when nothing counts. */
    record Worst(double percent, String destination, int open, int recentlyClosed, int rangeSize) {
        int held() {
            return open + recentlyClosed;
        }
    }

    private static final class Destination {
        int open;
        long[] second; // allocated on the first close: most destinations of a pool never close
        int[] closed;

        int recent(long nowSecond) {
            int sum = 0;
            for (int i = 0; second != null && i < BUCKETS; i++) {
                if (nowSecond - second[i] < BUCKETS && second[i] <= nowSecond) {
                    sum += closed[i];
                }
            }
            return sum;
        }

        void close(long atSecond) {
            if (second == null) {
                second = new long[BUCKETS];
                closed = new int[BUCKETS];
                java.util.Arrays.fill(second, Long.MIN_VALUE / 2);
            }
            int i = (int) Math.floorMod(atSecond, (long) BUCKETS);
            if (second[i] != atSecond) {
                second[i] = atSecond;
                closed[i] = 0;
            }
            closed[i]++;
        }
    }

    private static final int CACHED = 64;

    private final int rangeSize;
    private final Map<String, Destination> destinations = new HashMap<>();
    // Destination texts by address and port, direct-mapped; only under this object's lock.
    private final InetAddress[] cachedAddress = new InetAddress[CACHED];
    private final int[] cachedPort = new int[CACHED];
    private final boolean[] cachedIpv6 = new boolean[CACHED];
    private final String[] cachedText = new String[CACHED];
    private long untracked;

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
     * {@link #destination(String, int)} of {@code remote} as formatted on a socket of that family,
     * remembered for the same address object, or an equal IPv4 address (whose text is its value alone):
     * a pool connects to the same few destinations again and again, and the text is most of the cost.
     */
    String destination(InetAddress remote, boolean ipv6Socket, int remotePort) {
        int slot = (remote.hashCode() * 31 + remotePort) & (CACHED - 1);
        InetAddress cached = cachedAddress[slot];
        if (cachedPort[slot] == remotePort && cachedIpv6[slot] == ipv6Socket && cached != null
                && (cached == remote || cached instanceof Inet4Address && remote instanceof Inet4Address
                        && cached.equals(remote))) {
            return cachedText[slot];
        }
        String text = destination(Registry.address(remote, ipv6Socket), remotePort);
        cachedAddress[slot] = remote;
        cachedPort[slot] = remotePort;
        cachedIpv6[slot] = ipv6Socket;
        cachedText[slot] = text;
        return text;
    }

    /** An outgoing TCP connection whose port the OS chose (see {@link dev.portagent.registry.RegistryObserver#connectionOpened}). */
    synchronized void opened(InetAddress remote, boolean ipv6Socket, int remotePort, long openedAt) {
        Destination d = destination(destination(remote, ipv6Socket, remotePort), openedAt);
        if (d != null) {
            d.open++;
        }
    }

    /** {@code failed}: a refused or failed connect, which never reached ESTABLISHED: no TIME_WAIT follows. */
    synchronized void closed(InetAddress remote, boolean ipv6Socket, int remotePort, long closedAt, boolean failed) {
        Destination d = destinations.get(destination(remote, ipv6Socket, remotePort));
        if (d == null) {
            return; // untracked, or opened before we were told
        }
        d.open = Math.max(0, d.open - 1);
        if (!failed) {
            d.close(Math.floorDiv(closedAt, 1000L));
        }
    }

    private Destination destination(String key, long now) {
        Destination d = destinations.get(key);
        if (d == null) {
            if (destinations.size() >= MAX_DESTINATIONS) {
                forgetIdle(now);
            }
            if (destinations.size() >= MAX_DESTINATIONS) {
                untracked++;
                return null;
            }
            d = new Destination();
            destinations.put(key, d);
        }
        return d;
    }

    /** The destination with most ports held now; also forgets destinations that hold none. */
    synchronized Worst worst(long nowMillis) {
        forgetIdle(nowMillis);
        long nowSecond = Math.floorDiv(nowMillis, 1000L);
        String worst = null;
        int open = 0;
        int recent = 0;
        for (Map.Entry<String, Destination> e : destinations.entrySet()) {
            Destination d = e.getValue();
            int r = d.recent(nowSecond);
            if (worst == null || d.open + r > open + recent) {
                worst = e.getKey();
                open = d.open;
                recent = r;
            }
        }
        return new Worst(100.0 * (open + recent) / rangeSize, worst, open, recent, rangeSize);
    }

    /** Connections to destinations beyond {@link #MAX_DESTINATIONS} that were not counted. */
    synchronized long untracked() {
        return untracked;
    }

    synchronized int destinations() {
        return destinations.size();
    }

    private void forgetIdle(long nowMillis) {
        long nowSecond = Math.floorDiv(nowMillis, 1000L);
        for (Iterator<Destination> it = destinations.values().iterator(); it.hasNext(); ) {
            Destination d = it.next();
            if (d.open == 0 && d.recent(nowSecond) == 0) {
                it.remove();
            }
        }
    }
}
