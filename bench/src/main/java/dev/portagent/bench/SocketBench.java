package dev.portagent.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark 1, the cost per socket: {@link SocketWork} in child JVMs bare, and with each agent with its
 * default options and with {@code stack=0}, one child of each in turn (the order rotating), each
 * child's score the median of its batches. A ratio is the median of the ratios of children run side by
 * side (same run index) to the bare child.
 */
final class SocketBench {

    /** A per-socket loop of {@link SocketWork}; the CPU benchmark profiles the same loops. */
    record Workload(String name, String kind, int threads, int roundsPerBatch, int warmupMillis) {
    }

    /** One column of children: bare (agent null), or an agent with options. */
    record Config(Bench.Agent agent, String options) {

        String name() {
            return agent == null ? "bare" : agent.label() + (options.isEmpty() ? " default" : " " + options);
        }
    }

    // Batches of one to two seconds on a 2-core loopback. Four busy threads on two CPUs leave the JIT
    // little time: with a 3 s warm-up and 0.13 s batches that loop timed the agent's code still being
    // compiled, so it warms up for at least 10 s, and every child warms up on until its JIT is idle.
    private static final List<Workload> WORKLOADS = List.of(
            new Workload("TCP connect+accept+close, 1 thread", "tcp", 1, 8_000, 3_000),
            new Workload("TCP connect+accept+close, 4 threads", "tcp", 4, 20_000, 10_000),
            new Workload("UDP open+send+close, 1 thread", "udp", 1, 40_000, 3_000));

    private SocketBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        int runs = setup.runs() > 0 ? setup.runs() : setup.quick() ? 3 : 8;
        String batches = setup.quick() ? "3" : "5";
        List<Config> configs = new ArrayList<>();
        configs.add(new Config(null, ""));
        for (Bench.Agent agent : setup.agents()) {
            configs.add(new Config(agent, ""));
            configs.add(new Config(agent, "stack=0"));
        }
        setup.out().println("#### Per-socket cost (" + runs + " children per column, alternating; µs per round,"
                + " median of the children's medians; ratio: median of side-by-side ratios to bare, interquartile"
                + " range in brackets; CPU: the same for the process's CPU time per round)");
        setup.out().println();
        setup.out().println("| workload | agent | bare µs | default µs | ratio | stack=0 µs | ratio | CPU ratio default | CPU ratio stack=0 | warm-up s bare / default / stack=0 | load avg |");
        setup.out().println("|---|---|---|---|---|---|---|---|---|---|---|");
        // -Dportagent.bench.workload=4 threads: only the workloads whose name contains it.
        String only = System.getProperty("portagent.bench.workload", "");
        for (Workload w : WORKLOADS) {
            if (!w.name().contains(only)) {
                continue;
            }
            String warmupMillis = Integer.toString(setup.quick() ? 1000 : w.warmupMillis());
            String rounds = Integer.toString(setup.quick() ? w.roundsPerBatch() / 4 : w.roundsPerBatch());
            Map<Config, List<Double>> wall = new LinkedHashMap<>();
            Map<Config, List<Double>> cpu = new LinkedHashMap<>();
            Map<Config, List<Double>> warmup = new LinkedHashMap<>();
            for (Config c : configs) {
                wall.put(c, new ArrayList<>());
                cpu.put(c, new ArrayList<>());
                warmup.put(c, new ArrayList<>());
            }
            String loadBefore = Machine.loadAverage();
            for (int i = 0; i < runs; i++) {
                for (int k = 0; k < configs.size(); k++) {
                    Config c = configs.get((i + k) % configs.size());
                    Child child = new Child(java, c.agent() == null ? null : c.agent().javaagent(c.options()), List.of(),
                            setup.benchJar(), SocketWork.class.getName(),
                            List.of(w.kind(), Integer.toString(w.threads()), warmupMillis, batches, rounds),
                            setup.env(c.agent()));
                    Child.Result result = child.run(600);
                    double micros = Stats.median(result.values("batch")) / 1000.0;
                    wall.get(c).add(micros);
                    cpu.get(c).add(Stats.median(result.values("cpu")) / 1000.0);
                    warmup.get(c).add(result.value("warmup") / 1000.0);
                    setup.progress().printf("  %s, %s, run %d: %.2f µs (warm-up %.1f s)%n", w.name(), c.name(), i + 1,
                            micros, result.value("warmup") / 1000.0);
                }
            }
            String load = loadBefore + " → " + Machine.loadAverage();
            Config bare = configs.get(0);
            for (int a = 0; a < setup.agents().size(); a++) {
                Config withStacks = configs.get(1 + 2 * a);
                Config withoutStacks = configs.get(2 + 2 * a);
                setup.out().println("| " + w.name() + " | " + withStacks.agent().label()
                        + " | " + Stats.fixed(Stats.median(wall.get(bare)), 2)
                        + " | " + Stats.fixed(Stats.median(wall.get(withStacks)), 2)
                        + " | " + Stats.ratio(Stats.ratios(wall.get(withStacks), wall.get(bare)))
                        + " | " + Stats.fixed(Stats.median(wall.get(withoutStacks)), 2)
                        + " | " + Stats.ratio(Stats.ratios(wall.get(withoutStacks), wall.get(bare)))
                        + " | " + Stats.ratio(Stats.ratios(cpu.get(withStacks), cpu.get(bare)))
                        + " | " + Stats.ratio(Stats.ratios(cpu.get(withoutStacks), cpu.get(bare)))
                        + " | " + Stats.fixed(Stats.median(warmup.get(bare)), 1)
                        + " / " + Stats.fixed(Stats.median(warmup.get(withStacks)), 1)
                        + " / " + Stats.fixed(Stats.median(warmup.get(withoutStacks)), 1)
                        + " | " + load + " |");
            }
            setup.out().flush();
        }
        setup.out().println();
    }
}
