package dev.portagent.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * The per-socket workload, run in a child JVM with or without the agent. Prints one line
 * {@code batch <ns per round>} per measured batch; the parent compares children.
 *
 * <p>Arguments: {@code tcp|udp threads minWarmupMillis batches roundsPerBatch}. Prints {@code warmup <ms>}
 * when the warm-up ends (see {@link #warmUp}).
 * <ul>
 *   <li>tcp round: a client Socket connects to a loopback ServerSocket, the server accepts and closes,
 *       the client reads the end of the stream and closes. Server-first close leaves TIME_WAIT on the
 *       server side, so the client never runs out of ephemeral ports.</li>
 *   <li>udp round: DatagramChannel.open, a send (whose implicit bind takes the port), close.</li>
 * </ul>
 * With several threads each has its own listener, so rounds do not queue behind one accept loop.
 */
public final class SocketWork {

    private SocketWork() {
    }

    interface Round {
        void run() throws IOException;
    }

    /** The first five arguments of this loop and of {@link HookWork}'s. */
    record Loop(String kind, int threads, long warmupMillis, int batches, int rounds) {
        static Loop of(String[] args) {
            return new Loop(args[0], Integer.parseInt(args[1]), Long.parseLong(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]));
        }
    }

    public static void main(String[] args) throws Exception {
        Loop loop = Loop.of(args);
        List<AutoCloseable> resources = new ArrayList<>();
        List<Round> perThread = rounds(loop, resources);

        long warmedUp = warmUp(perThread, loop.warmupMillis(), () -> { });
        // Read live by the CPU benchmark, which starts its profiler now.
        System.out.println("warmup " + warmedUp);
        System.out.flush();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        StringBuilder out = new StringBuilder();
        // CPU time of the whole process (the agent's own thread included): less sensitive than wall time to
        // other processes on a busy machine, though not immune.
        for (Batch b : batches(perThread, loop.batches(), loop.rounds(), batch -> { }, os::getProcessCpuTime)) {
            out.append("batch ").append(b.wallPerRound()).append('\n');
            out.append("cpu ").append(b.cpuPerRound()).append('\n');
        }
        System.out.print(out);
        System.out.flush();
        for (AutoCloseable c : resources) {
            c.close();
        }
        // Acceptor threads are daemons blocked in accept(); nothing else to wait for.
        System.exit(0);
    }

    /** A round for each of the loop's threads, each with a listener of its own; what to close goes to {@code resources}. */
    static List<Round> rounds(Loop loop, List<AutoCloseable> resources) throws IOException {
        List<Round> perThread = new ArrayList<>();
        for (int i = 0; i < loop.threads(); i++) {
            perThread.add(loop.kind().equals("tcp") ? tcp(resources) : udp(resources));
        }
        return perThread;
    }

    /** One measured batch: nanoseconds per round of one thread, wall and CPU. */
    record Batch(double wallPerRound, double cpuPerRound) {
    }

    /**
     * Runs {@code batches} batches of {@code rounds} rounds on each thread, the threads starting each batch
     * together; {@code beforeBatch} runs while they wait, before each. {@code cpuClock}: the process's CPU
     * time in nanoseconds.
     */
    static List<Batch> batches(List<Round> perThread, int batches, int rounds, IntConsumer beforeBatch,
                               LongSupplier cpuClock) throws Exception {
        int threads = perThread.size();
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        CyclicBarrier end = new CyclicBarrier(threads + 1);
        Thread[] workers = new Thread[threads];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            Round round = perThread.get(t);
            workers[t] = new Thread(() -> {
                try {
                    for (int b = 0; b < batches; b++) {
                        start.await();
                        for (int r = 0; r < rounds; r++) {
                            round.run();
                        }
                        end.await();
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                    start.reset();
                    end.reset();
                }
            }, "worker-" + t);
            workers[t].start();
        }
        List<Batch> measured = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            beforeBatch.accept(b);
            start.await();
            long t0 = System.nanoTime();
            long cpu0 = cpuClock.getAsLong();
            end.await();
            long elapsed = System.nanoTime() - t0;
            long cpu = cpuClock.getAsLong() - cpu0;
            measured.add(new Batch(elapsed / ((double) rounds * threads), cpu / ((double) rounds * threads)));
        }
        for (Thread w : workers) {
            w.join();
        }
        if (failure[0] != null) {
            throw new IllegalStateException("a worker failed", failure[0]);
        }
        return measured;
    }

    /**
     * Runs rounds for at least {@code minMillis}, then on until the JIT has been idle for a second (at
     * most a minute in all), and answers how long that took. With four busy threads on two CPUs the JIT
     * gets little time, and the agent's run has more code to compile: a fixed warm-up timed its compiler.
     * {@code eachSecond} runs before each second after the first {@code minMillis}.
     */
    static long warmUp(List<Round> rounds, long minMillis, Runnable eachSecond) throws InterruptedException {
        long start = System.nanoTime();
        runFor(rounds, minMillis);
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long compiled = jit.getTotalCompilationTime();
        while (System.nanoTime() - start < 60_000_000_000L) {
            eachSecond.run();
            runFor(rounds, 1000);
            long now = jit.getTotalCompilationTime();
            if (now - compiled < 10) {
                break;
            }
            compiled = now;
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Every thread runs rounds until the time is up. */
    static void runFor(List<Round> rounds, long millis) throws InterruptedException {
        long until = System.nanoTime() + millis * 1_000_000;
        List<Thread> threads = new ArrayList<>();
        Throwable[] failure = new Throwable[1];
        for (Round round : rounds) {
            Thread t = new Thread(() -> {
                try {
                    while (System.nanoTime() < until) {
                        round.run();
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            }, "warmup");
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure[0] != null) {
            throw new IllegalStateException("warm-up failed", failure[0]);
        }
    }

    static Round tcp(List<AutoCloseable> resources) throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        ServerSocket server = new ServerSocket(0, 128, loopback);
        resources.add(server);
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    server.accept().close();
                } catch (IOException e) {
                    // closed at the end of the run
                }
            }
        }, "acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        InetSocketAddress target = new InetSocketAddress(loopback, server.getLocalPort());
        return () -> {
            try (Socket client = new Socket()) {
                client.connect(target);
                InputStream in = client.getInputStream();
                if (in.read() != -1) {
                    throw new IOException("the server sent data");
                }
            }
        };
    }

    static Round udp(List<AutoCloseable> resources) throws IOException {
        // A receiver that never reads: the kernel drops what does not fit, the sender does not care.
        DatagramChannel receiver = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        resources.add(receiver);
        InetSocketAddress target = (InetSocketAddress) receiver.getLocalAddress();
        ByteBuffer payload = ByteBuffer.allocate(16);
        return () -> {
            try (DatagramChannel sender = DatagramChannel.open()) {
                payload.clear();
                sender.send(payload, target);
            }
        };
    }
}
