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
        int agents = setup.agents().size();
        List<List<Double>> perSocket = new ArrayList<>();
        List<List<Double>> fixed = new ArrayList<>();
        for (int a = 0; a < agents; a++) {
            perSocket.add(new ArrayList<>());
            fixed.add(new ArrayList<>());
        }
        int opened = 0;
        for (int i = 0; i < runs; i++) {
            double bare0 = heap(setup, java, null, 0)[1];
            double[] bareN = heap(setup, java, null, SOCKETS);
            for (int a = 0; a < agents; a++) {
                Bench.Agent agent = setup.agents().get(a);
                double agent0 = heap(setup, java, agent, 0)[1];
                double[] agentN = heap(setup, java, agent, SOCKETS);
                opened = (int) agentN[0];
                fixed.get(a).add(agent0 - bare0);
                perSocket.get(a).add(((agentN[1] - bareN[1]) - (agent0 - bare0)) / agentN[0]);
                setup.progress().printf("  memory, %s, run %d: %d sockets, %.1f bytes per socket%n", agent.label(), i + 1,
                        opened, perSocket.get(a).get(i));
            }
        }
        setup.out().println("#### Memory (" + runs + " runs; -XX:+UseSerialGC, heap used after full GCs; load average "
                + Machine.loadAverage() + ")");
        setup.out().println();
        setup.out().println("| agent | open sockets | retained per open socket, bytes (median) | range | agent's fixed heap, KiB |");
        setup.out().println("|---|---|---|---|---|");
        for (int a = 0; a < agents; a++) {
            setup.out().println("| " + setup.agents().get(a).label() + " | " + opened
                    + (opened < SOCKETS ? " (the fd limit here; " + SOCKETS + " asked)" : "")
                    + " | " + Stats.fixed(Stats.median(perSocket.get(a)), 1)
                    + " | " + Stats.fixed(Stats.quantile(perSocket.get(a), 0), 1) + "-"
                    + Stats.fixed(Stats.quantile(perSocket.get(a), 1), 1)
                    + " | " + Stats.fixed(Stats.median(fixed.get(a)) / 1024, 0) + " |");
        }
        setup.out().println();
    }

    /** {sockets opened, heap bytes}; agent null for a bare JVM. */
    private static double[] heap(Bench.Setup setup, Path java, Bench.Agent agent, int sockets) throws Exception {
        Child.Result r = new Child(java, agent == null ? null : agent.javaagent(""), List.of("-XX:+UseSerialGC", "-Xmx2g"),
                setup.benchJar(), MemoryWork.class.getName(), List.of(Integer.toString(sockets)), setup.env(agent)).run(600);
        return new double[] {r.value("sockets"), r.value("heap")};
    }
}
