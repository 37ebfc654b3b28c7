package dev.portagent.bench;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The memory workload: holds N UDP sockets open, each bound to an ephemeral loopback port from the
 * same line of code (so that the agent can share one stack between them), then prints
 * {@code sockets <n>} and {@code heap <bytes used after full GCs>}. The parent subtracts the same run
 * without the agent, and the run with 0 sockets, to get the bytes the agent retains per open socket.
 */
public final class MemoryWork {

    // Long enough for the agent's digester (every 500 ms) to turn the raw stacks into shared ones.
    private static final long SETTLE_MILLIS = 2_000;

    private MemoryWork() {
    }

    public static void main(String[] args) throws Exception {
        int wanted = Integer.parseInt(args[0]);
        int n = Math.min(wanted, fdLimit() - 200);
        List<DatagramChannel> open = new ArrayList<>(n);
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int i = 0; i < n; i++) {
            open.add(DatagramChannel.open().bind(new InetSocketAddress(loopback, 0)));
        }
        Thread.sleep(SETTLE_MILLIS);
        long used = 0;
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }
        System.out.println("sockets " + open.size());
        System.out.println("heap " + used);
        for (DatagramChannel c : open) {
            c.close();
        }
    }

    /** The soft limit on open files, which the JVM has already raised to the hard limit. */
    static int fdLimit() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? Integer.MAX_VALUE : Integer.parseInt(soft);
            }
        }
        return 1024;
    }
}
