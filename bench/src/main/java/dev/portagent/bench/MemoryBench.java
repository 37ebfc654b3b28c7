package dev.portagent.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Benchmark 3, memory: the heap {@link MemoryWork} retains with N open UDP sockets, with and without the
 * agent, minus the same difference with no socket at all (what the agent holds whatever the
 * application does), divided by N. Serial GC, so that "used after a full GC" is exact.
 */
final class MemoryBench {

    static final int SOCKETS = 100_000;

    private MemoryBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        int runs = setup.runs() > 0 ? Math.min(setup.runs(), 5) : setup.quick() ? 1 : 3;
        List<Double> perSocket = new ArrayList<>();
        List<Double> fixed = new ArrayList<>();
        int opened = 0;
        for (int i = 0; i < runs; i++) {
            double bare0 = heap(setup, java, false, 0)[1];
            double agent0 = heap(setup, java, true, 0)[1];
            double[] bareN = heap(setup, java, false, SOCKETS);
            double[] agentN = heap(setup, java, true, SOCKETS);
            opened = (int) agentN[0];
            fixed.add(agent0 - bare0);
            perSocket.add(((agentN[1] - bareN[1]) - (agent0 - bare0)) / agentN[0]);
            setup.progress().printf("  memory run %d: %d sockets, %.1f bytes per socket, fixed %.0f bytes%n", i + 1,
                    opened, perSocket.get(i), fixed.get(i));
        }
        setup.out().println("#### Memory (" + runs + " runs; -XX:+UseSerialGC, heap used after full GCs)");
        setup.out().println();
        setup.out().println("| open sockets | retained per open socket, bytes (median) | range | agent's fixed heap, KiB |");
        setup.out().println("|---|---|---|---|");
        setup.out().println("| " + opened + (opened < SOCKETS ? " (the fd limit here; " + SOCKETS + " asked)" : "")
                + " | " + Stats.fixed(Stats.median(perSocket), 1)
                + " | " + Stats.fixed(Stats.quantile(perSocket, 0), 1) + "-" + Stats.fixed(Stats.quantile(perSocket, 1), 1)
                + " | " + Stats.fixed(Stats.median(fixed) / 1024, 0) + " |");
        setup.out().println();
    }

    /** {sockets opened, heap bytes}. */
    private static double[] heap(Bench.Setup setup, Path java, boolean agent, int sockets) throws Exception {
        Child.Result r = new Child(java, agent ? setup.agent("") : null, List.of("-XX:+UseSerialGC", "-Xmx2g"),
                setup.benchJar(), MemoryWork.class.getName(), List.of(Integer.toString(sockets)), setup.env()).run(600);
        return new double[] {r.value("sockets"), r.value("heap")};
    }
}
