package dev.portagent.bench;

import dev.portagent.proc.EphemeralRange;
import dev.portagent.registry.JdkSockets;
import dev.portagent.registry.Recorder;
import dev.portagent.registry.Registry;
import java.io.FileDescriptor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's own work per socket, without the sockets: the recorder driven directly through the
 * calls the JDK's hooks make for one UDP socket (created, bound to port 0, the JDK's own local
 * address, closed) and one accepted TCP socket, in thread CPU time. What the per-socket benchmark
 * measures through a loopback buried in system calls and, on a busy machine, in noise; this is the
 * part the agent adds. Run in a child JVM with the agent jar on the class path (not as an agent):
 * {@code hookcost <stack depth> <sockets per batch> <batches>}; prints {@code app <ns>} (the hooks,
 * on the socket's thread) and {@code digest <ns>} (the digester's work per socket) per batch.
 */
public final class HookCost {

    private static final InetSocketAddress LOCAL = new InetSocketAddress(InetAddress.getLoopbackAddress(), 45000);
    private static final InetSocketAddress REMOTE = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);

    private HookCost() {
    }

    public static void main(String[] args) {
        int depth = Integer.parseInt(args[0]);
        int sockets = Integer.parseInt(args[1]);
        int batches = Integer.parseInt(args[2]);
        JdkSockets jdk = new JdkSockets() {
            @Override
            public InetSocketAddress localAddress(FileDescriptor fd) {
                return LOCAL;
            }

            @Override
            public boolean ipv6Available() {
                return true;
            }

            @Override
            public FileDescriptor implFd(Object socketImpl) {
                return (FileDescriptor) socketImpl;
            }

            @Override
            public InetSocketAddress implRemote(Object socketImpl) {
                return REMOTE;
            }
        };
        Registry registry = new Registry(new EphemeralRange(32768, 60999, "bench"), depth, 10_000, () -> 0);
        Recorder recorder = new Recorder(registry, jdk, depth, true);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        List<String> out = new ArrayList<>();
        for (int b = -3; b < batches; b++) {
            long t0 = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < sockets; i++) {
                udpSocket(recorder);
                acceptedSocket(recorder);
            }
            long t1 = threads.getCurrentThreadCpuTime();
            registry.digest();
            long t2 = threads.getCurrentThreadCpuTime();
            if (b >= 0) {
                out.add("app " + (t1 - t0) / (2.0 * sockets));
                out.add("digest " + (t2 - t1) / (2.0 * sockets));
            }
        }
        out.forEach(System.out::println);
    }

    // One frame deeper than the loop, like an application's helper method.
    private static void udpSocket(Recorder recorder) {
        FileDescriptor fd = new FileDescriptor();
        recorder.created(null, fd, true, false);
        recorder.boundToAnyPort(null, fd, null);
        recorder.localAddress(fd, LOCAL);
        recorder.closed(fd);
    }

    private static void acceptedSocket(Recorder recorder) {
        FileDescriptor fd = new FileDescriptor();
        recorder.localAddress(fd, LOCAL);
        recorder.acceptedImpl(fd);
        recorder.closed(fd);
    }
}
