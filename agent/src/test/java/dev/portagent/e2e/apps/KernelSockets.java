package dev.portagent.e2e.apps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The child's own reading of /proc/net/{tcp,udp}[6]: which ports are in use, and whether a descriptor
 * still holds a connection. The test has its own reader; a child program cannot use the agent's.
 */
final class KernelSockets {

    /** One line: ports, and the inode, which is 0 once no descriptor holds the socket. */
    record Line(String protocol, int localPort, int remotePort, long inode) {
    }

    private KernelSockets() {
    }

    static List<Line> read() {
        List<Line> lines = new ArrayList<>();
        for (String file : new String[] {"tcp", "tcp6", "udp", "udp6"}) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/net", file))) {
                    String[] columns = line.trim().split("\\s+");
                    if (!columns[0].equals("sl")) {
                        lines.add(new Line(file.substring(0, 3), port(columns[1]), port(columns[2]),
                                Long.parseLong(columns[9])));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return lines;
    }

    private static int port(String addressAndPort) {
        return Integer.parseInt(addressAndPort.substring(addressAndPort.lastIndexOf(':') + 1), 16);
    }

    /** Waits until no descriptor holds a TCP connection between the two ports, in either direction. */
    static void awaitReleased(int portA, int portB, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (read().stream().anyMatch(l -> l.protocol().equals("tcp") && l.inode() != 0
                && (l.localPort() == portA && l.remotePort() == portB || l.localPort() == portB && l.remotePort() == portA))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the connection " + portA + "-" + portB + " is still held after " + timeout);
            }
            LockSupport.parkNanos(Duration.ofMillis(1).toNanos());
        }
    }
}
