package dev.portagent.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark 1, the cost per socket: {@link SocketWork} in child JVMs bare, and with each agent with each
 * of {@link #OPTIONS}, one child of each in turn (the order rotating), each
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
    static final List<Workload> WORKLOADS = List.of(
            new Workload("TCP connect+accept+close, 1 thread", "tcp", 1, 8_000, 3_000),
            new Workload("TCP connect+accept+close, 4 threads", "tcp", 4, 20_000, 10_000),
            new Workload("UDP open+send+close, 1 thread", "udp", 1, 40_000, 3_000));

    /**
     * Each agent's option sets: its defaults (stacks within the {@code stackRate} budget), every socket's
     * stack, and none.
     */
    static final List<String> OPTIONS = List.of("", "stackRate=0", "stack=0");

    /** {@code -Dportagent.bench.workload=4 threads}: only the workloads whose name contains it. */
    static boolean chosen(Workload w) {
        return chosen(w.name());
    }

    static boolean chosen(String workload) {
        return workload.contains(System.getProperty("portagent.bench.workload", ""));
    }

    /**
     * An agent's option sets: {@link #OPTIONS}, or {@code -Dportagent.bench.options.LABEL=set;set} for
     * a build that predates one of them (an unknown option keeps the agent out, and its column would
     * measure a bare JVM). A socket run needs as many sets for every agent.
     */
    static List<String> options(Bench.Agent agent) {
        String sets = System.getProperty("portagent.bench.options." + agent.label());
        return sets == null ? OPTIONS : List.of(sets.split(";", -1));
    }

    private SocketBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        int runs = setup.runs() > 0 ? setup.runs() : setup.quick() ? 3 : 8;
        String batches = setup.quick() ? "3" : "5";
        List<Config> configs = new ArrayList<>();
        configs.add(new Config(null, ""));
        for (Bench.Agent agent : setup.agents()) {
            for (String options : options(agent)) {
                configs.add(new Config(agent, options));
            }
        }
        setup.out().println("#### Per-socket cost (" + runs + " children per column, alternating; µs per round,"
                + " median of the children's medians; ratio: median of side-by-side ratios to bare, interquartile"
                + " range in brackets; CPU: the same for the process's CPU time per round)");
        setup.out().println();
        StringBuilder header = new StringBuilder("| workload | agent | bare µs |");
        StringBuilder cpuHeader = new StringBuilder();
        StringBuilder warmupHeader = new StringBuilder(" warm-up s bare");
        List<String> sets = options(setup.agents().get(0));
        for (String options : sets) {
            String name = options.isEmpty() ? "default" : options;
            header.append(' ').append(name).append(" µs | ratio |");
            cpuHeader.append(" CPU ratio ").append(name).append(" |");
            warmupHeader.append(" / ").append(name);
        }
        header.append(cpuHeader).append(warmupHeader).append(" | load avg |");
        setup.out().println(header);
        setup.out().println("|---|---|---|" + "---|---|---|".repeat(sets.size()) + "---|---|");
        for (Workload w : WORKLOADS) {
            if (!chosen(w)) {
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
                List<Config> withAgent = configs.subList(1 + sets.size() * a, 1 + sets.size() * (a + 1));
                StringBuilder row = new StringBuilder("| " + w.name() + " | " + withAgent.get(0).agent().label()
                        + " | " + Stats.fixed(Stats.median(wall.get(bare)), 2) + " |");
                for (Config c : withAgent) {
                    row.append(' ').append(Stats.fixed(Stats.median(wall.get(c)), 2))
                            .append(" | ").append(Stats.ratio(Stats.ratios(wall.get(c), wall.get(bare)))).append(" |");
                }
                for (Config c : withAgent) {
                    row.append(' ').append(Stats.ratio(Stats.ratios(cpu.get(c), cpu.get(bare)))).append(" |");
                }
                row.append(' ').append(Stats.fixed(Stats.median(warmup.get(bare)), 1));
                for (Config c : withAgent) {
                    row.append(" / ").append(Stats.fixed(Stats.median(warmup.get(c)), 1));
                }
                setup.out().println(row.append(" | ").append(load).append(" |"));
            }
            setup.out().flush();
        }
        setup.out().println();
    }
}
