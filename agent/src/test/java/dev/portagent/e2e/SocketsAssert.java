package dev.portagent.e2e;

import dev.portagent.proc.ProcNet;
import dev.portagent.proc.ProcSocket;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Compares ports with what /proc says a process holds, as (protocol, local port) pairs: the level at
 * which the agent's report and the kernel must agree whatever the address family or state.
 */
public final class SocketsAssert {

    /** A protocol ("tcp" or "udp") and local port; sorts by protocol, then port. */
    public record Port(String protocol, int port) implements Comparable<Port> {

        private static final Comparator<Port> ORDER = Comparator.comparing(Port::protocol).thenComparingInt(Port::port);

        public static Port tcp(int port) {
            return new Port("tcp", port);
        }

        public static Port udp(int port) {
            return new Port("udp", port);
        }

        public static Port of(ProcSocket socket) {
            return new Port(socket.protocol(), socket.localPort());
        }

        @Override
        public int compareTo(Port other) {
            return ORDER.compare(this, other);
        }

        @Override
        public String toString() {
            return protocol + "/" + port;
        }
    }

    private static final int MAX_READINGS = 20;

    private SocketsAssert() {
    }

    /** The ports of all INET sockets process {@code pid} holds. */
    public static SortedSet<Port> portsOf(long pid) {
        return portsOf(pid, socket -> true);
    }

    /** The ports of the INET sockets process {@code pid} holds that {@code which} accepts. */
    public static SortedSet<Port> portsOf(long pid, Predicate<ProcSocket> which) {
        return heldBy(pid).stream().filter(which).map(Port::of).collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * The INET sockets of a process that holds still, each once. The kernel hands out /proc/net/* a
     * page per read and resumes each read by position, so while other processes of the network
     * namespace open and close sockets, one reading skips some lines and repeats others (a dozen in
     * ten thousand on a busy machine). Readings are merged by inode until two add nothing.
     */
    public static List<ProcSocket> heldBy(long pid) {
        Map<Long, ProcSocket> byInode = new LinkedHashMap<>();
        for (int pass = 0, quiet = 0; quiet < 2; pass++) {
            if (pass == MAX_READINGS) {
                throw new AssertionError("the sockets of " + pid + " still change after " + pass + " readings of /proc");
            }
            int before = byInode.size();
            ProcNet.socketsOf(pid).forEach(s -> byInode.putIfAbsent(s.inode(), s));
            quiet = byInode.size() == before ? quiet + 1 : 0;
        }
        return new ArrayList<>(byInode.values());
    }

    /** The elements of {@code a} that {@code b} lacks, counting repeats: [x, x, y] minus [x] is [x, y]. */
    public static List<String> minus(List<String> a, List<String> b) {
        Map<String, Integer> inB = new HashMap<>();
        b.forEach(x -> inB.merge(x, 1, Integer::sum));
        List<String> rest = new ArrayList<>();
        for (String x : a) {
            if (inB.merge(x, -1, Integer::sum) < 0) {
                rest.add(x);
            }
        }
        return rest;
    }

    /** A readable difference, or "" when the sets are equal. */
    public static String diff(Set<Port> expected, Set<Port> actual) {
        SortedSet<Port> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        SortedSet<Port> extra = new TreeSet<>(actual);
        extra.removeAll(expected);
        if (missing.isEmpty() && extra.isEmpty()) {
            return "";
        }
        return "missing:    " + missing + " (expected, not present)\nunexpected: " + extra
                + " (present, not expected)\nexpected:   " + new TreeSet<>(expected) + "\nactual:     " + new TreeSet<>(actual);
    }

    /** Fails unless process {@code pid} holds exactly the ports in {@code expected}, listing its sockets if not. */
    public static void assertPortsOf(long pid, Set<Port> expected) {
        List<ProcSocket> sockets = heldBy(pid);
        String diff = diff(expected, sockets.stream().map(Port::of).collect(Collectors.toSet()));
        if (!diff.isEmpty()) {
            throw new AssertionError("ports of pid " + pid + " differ from the expected ones\n" + diff
                    + "\nsockets of pid " + pid + " in /proc:\n" + sockets.stream().map(SocketsAssert::describe)
                    .collect(Collectors.joining("\n")));
        }
    }

    private static String describe(ProcSocket s) {
        return "  " + s.protocol() + " " + s.family() + " " + s.localAddress().getHostAddress() + ":" + s.localPort()
                + " -> " + s.remoteAddress().getHostAddress() + ":" + s.remotePort() + " " + s.state()
                + " inode " + s.inode();
    }
}
