package dev.portagent.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;

/**
 * The per-socket loop of {@link SocketWork} in one child with the agent, whose recording is switched off and
 * on between batches: the agent's cost in the real loop, with the JIT's code, the heap and the machine's
 * state shared by both sides of each pair, which separate children never share.
 *
 * <p>Off means the agent's listener is taken out of {@code PortHooks} (by reflection: the bench is its only
 * caller, the product has no such switch). The woven JDK methods then still run the advice, which reads the
 * listener and returns: that part of the cost, a static read and a branch per hook, is on both sides.
 *
 * <p>Arguments: {@code tcp|udp threads minWarmupMillis pairs roundsPerBatch}. Prints {@code warmup <ms>}, one
 * line {@code on|off <wall ns per round> <CPU ns per round>} per batch, in the order run (each pair in turn
 * on-off and off-on, so that a drift of the machine's speed within a pair cancels over two), and the agent's
 * counters at the end ({@code recorded <binds+connects+accepts>}), to show that only the on batches recorded.
 * Also {@code stacksPerSecond} (3 s with the agent on all along, after 2 s of it, before the pairs) and
 * {@code stacksPerOnSecond} (during the pairs' on batches): see {@link #stacksTaken}.
 */
public final class ToggleWork {

    private static final Path TASKS = Path.of("/proc/self/task");
    private static final Map<String, Long> THREAD_CPU = new HashMap<>();
    private static long cpuSoFar;

    private ToggleWork() {
    }

    public static void main(String[] args) throws Exception {
        SocketWork.Loop loop = SocketWork.Loop.of(args);
        List<AutoCloseable> resources = new ArrayList<>();
        List<SocketWork.Round> perThread = SocketWork.rounds(loop, resources);
        // The first socket class to load waits for the agent's installation: after one round it is in place.
        perThread.get(0).run();
        // The hooks live in the boot class loader's unnamed module, which is open to reflection.
        Field listener = Class.forName("dev.portagent.bootstrap.PortHooks", false, null).getDeclaredField("listener");
        listener.setAccessible(true);
        Object recorder = listener.get(null);
        if (recorder == null) {
            throw new IllegalStateException("no agent listener: run this with -javaagent");
        }
        boolean[] on = {true};
        // Both states are warmed up: the first batch of a state the JIT never saw would deoptimise.
        long warmedUp = SocketWork.warmUp(perThread, loop.warmupMillis(), () -> {
            on[0] = !on[0];
            set(listener, on[0] ? recorder : null);
        });
        System.out.println("warmup " + warmedUp);
        // What the stack budget takes in a second of the loop with the recording on all along: the pairs'
        // on batches must take as many per second (see IdSkipper).
        set(listener, recorder);
        // Two windows of the budget first: the one after the warm-up's toggling sized its sample from half the rate.
        SocketWork.runFor(perThread, 2000);
        long continuousFrom = stacksTaken();
        long continuousStart = System.nanoTime();
        SocketWork.runFor(perThread, 3000);
        System.out.println("stacksPerSecond " + (stacksTaken() - continuousFrom) / ((System.nanoTime() - continuousStart) / 1e9));
        int batches = 2 * loop.batches();
        boolean[] states = new boolean[batches];
        for (int b = 0; b < batches; b++) {
            states[b] = (b / 2 + b) % 2 == 0; // on off, off on, on off, ...
        }
        long recordedBefore = recorded();
        long stacksBefore = stacksTaken();
        IdSkipper skipper = new IdSkipper(recorder, (long) loop.rounds() * loop.threads());
        List<SocketWork.Batch> measured = SocketWork.batches(perThread, batches, loop.rounds(), b -> {
            skipper.batchEnded(b > 0 && states[b - 1]);
            set(listener, states[b] ? recorder : null);
        }, ToggleWork::processCpuNanos);
        set(listener, recorder);
        StringBuilder out = new StringBuilder();
        double onNanos = 0;
        for (int b = 0; b < batches; b++) {
            SocketWork.Batch m = measured.get(b);
            out.append(states[b] ? "on " : "off ").append(m.wallPerRound()).append(' ').append(m.cpuPerRound()).append('\n');
            onNanos += states[b] ? m.wallPerRound() * loop.rounds() * loop.threads() : 0;
        }
        System.out.print(out);
        System.out.println("recorded " + (recorded() - recordedBefore));
        System.out.println("stacksPerOnSecond " + (stacksTaken() - stacksBefore) / (onNanos / 1e9));
        System.out.flush();
        for (AutoCloseable c : resources) {
            c.close();
        }
        System.exit(0);
    }

    /**
     * The stack budget sizes its sample by the rate at which records take ids (StackBudget.next): with ids
     * taken only in on batches it would see half the loop's rate and take twice a real run's stacks per
     * second of recording. After each off batch, the ids its rounds would have taken (as many a round as the
     * on batches took so far) are skipped, so the budget sees the loop's rate and samples as it would with
     * the agent on all along.
     */
    private static final class IdSkipper {
        private final AtomicLong ids;
        private final long roundsPerBatch;
        private long onIds;
        private long onRounds;
        private long atBatchStart;

        IdSkipper(Object recorder, long roundsPerBatch) throws ReflectiveOperationException {
            Field registry = recorder.getClass().getDeclaredField("registry");
            registry.setAccessible(true);
            Object r = registry.get(recorder);
            Field ids = r.getClass().getDeclaredField("ids");
            ids.setAccessible(true);
            this.ids = (AtomicLong) ids.get(r);
            this.roundsPerBatch = roundsPerBatch;
            this.atBatchStart = this.ids.get();
        }

        void batchEnded(boolean wasOn) {
            long now = ids.get();
            if (wasOn) {
                onIds += now - atBatchStart;
                onRounds += roundsPerBatch;
            } else if (onRounds > 0) {
                ids.addAndGet(Math.round((double) onIds / onRounds * roundsPerBatch));
            }
            atBatchStart = ids.get();
        }
    }

    private static void set(Field listener, Object value) {
        try {
            listener.set(null, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The CPU time of the process's threads since the first call, in nanoseconds, from the scheduler's own
     * account of each (/proc/self/task/N/schedstat): the process CPU time Java offers is read in ticks of
     * 10 ms, too coarse for batches of a quarter second. Read between batches, when the socket threads are
     * parked and their account is exact. Summed as each thread's growth since the last call, as the JVM ends
     * and starts compiler and GC threads as it goes: a thread that ended meanwhile loses its last part.
     */
    private static long processCpuNanos() {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("schedstat"));
                    long now = Long.parseLong(stat.substring(0, stat.indexOf(' ')));
                    Long before = THREAD_CPU.put(task.getFileName().toString(), now);
                    cpuSoFar += now - (before == null ? 0 : before);
                } catch (IOException e) {
                    // a thread that ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return cpuSoFar;
    }

    /**
     * Records that got their stack, from the MBean's sites: every site but those in brackets, which stand for
     * the records the stack budget left out or that were made with {@code stack=0}.
     */
    private static long stacksTaken() throws Exception {
        long taken = 0;
        for (CompositeData site : (CompositeData[]) ManagementFactory.getPlatformMBeanServer()
                .getAttribute(new ObjectName("dev.portagent:type=Ports"), "Sites")) {
            if (!((String) site.get("site")).startsWith("(")) {
                taken += (Long) site.get("opened");
            }
        }
        return taken;
    }

    /** Binds, connects and accepts the agent has recorded, from its MBean (registered a second after start). */
    private static long recorded() throws Exception {
        ObjectName name = new ObjectName("dev.portagent:type=Ports");
        var server = ManagementFactory.getPlatformMBeanServer();
        long total = 0;
        for (String attribute : List.of("BindCount", "ConnectCount", "AcceptCount")) {
            total += (Long) server.getAttribute(name, attribute);
        }
        return total;
    }
}
