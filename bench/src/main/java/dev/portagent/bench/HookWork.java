package dev.portagent.bench;

import dev.portagent.jmx.Jmx;
import dev.portagent.options.AgentOptions;
import dev.portagent.proc.EphemeralRange;
import dev.portagent.registry.JdkSockets;
import dev.portagent.registry.Recorder;
import dev.portagent.registry.Registry;
import java.io.FileDescriptor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;

/**
 * The hooks alone, run in a child JVM whose class path is an agent jar and the benchmarks: each round
 * makes the calls the JDK's advice makes for one round of {@link SocketWork}, in its order, with the
 * answers the JDK gives, into the agent's own recorder, registry and JMX observer, with no socket and
 * no instrumentation. What the agent costs per round on the application's threads, without the noise
 * of the kernel's loopback and of eight threads' scheduling around it; but also without the cold
 * caches a real round leaves, so a floor of the cost, not the cost. The agent's own thread does not run.
 *
 * <p>Arguments: {@code tcp|udp threads warmupMillis batches roundsPerBatch options}, the options {@code -}
 * for rounds that make only the objects the JDK would make (file descriptors, addresses), which the
 * benchmark subtracts. Prints {@code cpu <ns>} per measured batch: the process's CPU time per round.
 */
public final class HookWork {

    private HookWork() {
    }

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    // The fd number the JDK keeps in a FileDescriptor (IOUtil.newFD sets it, IOUtil.fdVal reads it), when
    // java.io is opened to this class; else no number, as before the agent looked sockets up by it.
    private static final VarHandle FD_NUMBER = fdNumber();

    private static VarHandle fdNumber() {
        try {
            return MethodHandles.privateLookupIn(FileDescriptor.class, MethodHandles.lookup())
                    .findVarHandle(FileDescriptor.class, "fd", int.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** A socket's FileDescriptor as the JDK makes it: the kernel gives each thread's sockets the same numbers each round. */
    private static FileDescriptor socket(int number) {
        FileDescriptor fd = new FileDescriptor();
        if (FD_NUMBER != null) {
            FD_NUMBER.set(fd, number);
        }
        return fd;
    }

    /** What the instrumentation answers: in these rounds the JDK's answers come with the hooks, so it is hardly asked. */
    private static final class Answers implements JdkSockets {
        private final InetSocketAddress peer = new InetSocketAddress(LOOPBACK, 40000);

        @Override
        public InetSocketAddress localAddress(FileDescriptor fd) {
            return new InetSocketAddress(LOOPBACK, 45000);
        }

        @Override
        public boolean ipv6Available() {
            return true;
        }

        // An accepted java.net.Socket's impl is handed to the hook; here the impl is its FileDescriptor.
        @Override
        public FileDescriptor implFd(Object socketImpl) {
            return (FileDescriptor) socketImpl;
        }

        @Override
        public int fdVal(FileDescriptor fd) {
            return FD_NUMBER == null ? -1 : (int) FD_NUMBER.get(fd);
        }

        @Override
        public InetSocketAddress implRemote(Object socketImpl) {
            return peer;
        }
    }

    interface Round {
        void run(int i);
    }

    /**
     * What a round made, kept a while: without the hooks, the JIT would otherwise see the objects die
     * at once and not make them, and the baseline would lack what the JDK pays for them.
     */
    private static final class Sink {
        final Object[] kept = new Object[1024];

        void keep(int i, Object o) {
            kept[i & (kept.length - 1)] = o;
        }
    }

    public static void main(String[] args) throws Exception {
        SocketWork.Loop loop = SocketWork.Loop.of(args);
        int threads = loop.threads();
        int rounds = loop.rounds();
        boolean hooks = !(args.length > 5 && args[5].equals("-"));
        AgentOptions options = AgentOptions.parse(args.length > 5 && hooks ? args[5] : "", Map.of(), Map.of());
        // As the agent's installer wires them, minus the instrumentation and the agent's thread.
        Registry registry = new Registry(EphemeralRange.read(), options.stackDepth(), options.history(), () -> 0);
        Jmx.observe(registry, options);
        Recorder recorder = new Recorder(registry, new Answers(), options.stackDepth(), options.stackRate(),
                options.accepted());
        Round[] perThread = new Round[threads];
        for (int t = 0; t < threads; t++) {
            // Each thread its own listener, as in SocketWork.
            InetSocketAddress listener = new InetSocketAddress(LOOPBACK, 20000 + t);
            Sink sink = new Sink();
            Recorder r = hooks ? recorder : null;
            // Numbers of its own per thread: the real loops' threads share the lowest free numbers, and at
            // times a socket gets the number of one whose close hook has not run yet (the slower path).
            int number = 10 + 2 * t;
            perThread[t] = loop.kind().equals("tcp") ? i -> tcpRound(r, listener, number, sink, i)
                    : i -> udpRound(r, number, sink, i);
        }

        long until = System.nanoTime() + loop.warmupMillis() * 1_000_000;
        while (System.nanoTime() < until) {
            runAll(perThread, rounds / 10, registry);
        }
        System.out.println("warmup " + loop.warmupMillis());
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        StringBuilder out = new StringBuilder();
        for (int b = 0; b < loop.batches(); b++) {
            long cpu0 = os.getProcessCpuTime();
            runAll(perThread, rounds, registry);
            out.append("cpu ").append((os.getProcessCpuTime() - cpu0) / ((double) rounds * threads)).append('\n');
        }
        System.out.print(out);
        System.out.flush();
    }

    // The agent's thread would digest what the hooks queued (sampled stacks); here the batch does it at its end,
    // inside its measurement.
    private static void runAll(Round[] perThread, int rounds, Registry registry) throws Exception {
        CyclicBarrier start = new CyclicBarrier(perThread.length);
        Thread[] threads = new Thread[perThread.length];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads.length; t++) {
            Round round = perThread[t];
            threads[t] = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < rounds; i++) {
                        round.run(i);
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            }, "worker-" + t);
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure[0] != null) {
            throw new IllegalStateException("a round failed", failure[0]);
        }
        registry.digest();
    }

    /**
     * java.net.Socket.connect (Net.connect made at once, then the JDK's Net.localAddress), ServerSocket.accept
     * (Net.localAddress of the new fd, then the accepted impl), both closed. {@code recorder} null: no hooks.
     */
    private static void tcpRound(Recorder recorder, InetSocketAddress listener, int number, Sink sink, int i) {
        FileDescriptor client = socket(number);
        InetSocketAddress clientAddress = new InetSocketAddress(LOOPBACK, 32768 + (i & 0x3fff));
        FileDescriptor accepted = socket(number + 1);
        sink.keep(3 * i, client);
        sink.keep(3 * i + 1, clientAddress);
        sink.keep(3 * i + 2, accepted);
        if (recorder == null) {
            return;
        }
        recorder.connectedAtOnce(null, client, listener.getAddress(), listener.getPort());
        recorder.localAddress(client, clientAddress);
        recorder.localAddress(accepted, listener);
        recorder.acceptedImpl(accepted);
        recorder.closed(accepted);
        recorder.closed(client);
    }

    // Builds before the bind hook of DatagramChannelImpl.bindInternal: the JDK's calls are then Net.bind's and
    // Net.localAddress's alone.
    private static final boolean UDP_BIND_HOOK = hasUdpBindHook();

    private static boolean hasUdpBindHook() {
        try {
            Recorder.class.getMethod("udpBindStarts");
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /**
     * DatagramChannel.open (Net.socket), the first send's implicit bind to port 0 (DatagramChannelImpl.bindInternal:
     * Net.bind, the JDK's Net.localAddress), close.
     */
    private static void udpRound(Recorder recorder, int number, Sink sink, int i) {
        FileDescriptor fd = socket(number);
        InetSocketAddress local = new InetSocketAddress(LOOPBACK, 32768 + (i & 0x3fff));
        sink.keep(2 * i, fd);
        sink.keep(2 * i + 1, local);
        if (recorder == null) {
            return;
        }
        recorder.created(null, fd, true, false);
        if (UDP_BIND_HOOK) {
            recorder.udpBindStarts();
        }
        recorder.boundToAnyPort(null, fd, null);
        recorder.localAddress(fd, local);
        if (UDP_BIND_HOOK) {
            recorder.udpBound(null, fd, null, local);
        }
        recorder.closed(fd);
    }
}
