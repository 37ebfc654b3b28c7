package dev.portagent.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark 1, the cost per socket: {@link SocketWork} in child JVMs bare, with the agent's default
 * options and with {@code stack=0}, one child of each in turn (the order rotating), each child's score
 * the median of its batches. The ratio is the median of the ratios of children run side by side.
 */
final class SocketBench {

    private record Workload(String name, String kind, int threads, int roundsPerBatch) {
    }

    // Rounds per batch chosen for batches of roughly half a second on a 2-core loopback.
    private static final List<Workload> WORKLOADS = List.of(
            new Workload("TCP connect+accept+close, 1 thread", "tcp", 1, 8_000),
            new Workload("TCP connect+accept+close, 4 threads", "tcp", 4, 2_000),
            new Workload("UDP open+send+close, 1 thread", "udp", 1, 40_000));

    private static final String[] CONFIGS = {"bare", "default", "stack=0"};

    private SocketBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        int runs = setup.runs() > 0 ? setup.runs() : setup.quick() ? 3 : 10;
        String warmupMillis = setup.quick() ? "1000" : "3000";
        String batches = setup.quick() ? "3" : "7";
        setup.out().println("#### Per-socket cost (" + runs + " children per column, alternating; µs per round,"
                + " median of the children's medians; ratio: median of side-by-side ratios, interquartile range"
                + " in brackets)");
        setup.out().println();
        setup.out().println("| workload | bare | default options | ratio | stack=0 | ratio | CPU ratio default | CPU ratio stack=0 | load avg |");
        setup.out().println("|---|---|---|---|---|---|---|---|---|");
        for (Workload w : WORKLOADS) {
            String rounds = Integer.toString(setup.quick() ? w.roundsPerBatch() / 4 : w.roundsPerBatch());
            Map<String, List<Double>> scores = new LinkedHashMap<>();
            Map<String, List<Double>> cpu = new LinkedHashMap<>();
            for (String config : CONFIGS) {
                scores.put(config, new ArrayList<>());
                cpu.put(config, new ArrayList<>());
            }
            String loadBefore = Machine.loadAverage();
            for (int i = 0; i < runs; i++) {
                for (int k = 0; k < CONFIGS.length; k++) {
                    String config = CONFIGS[(i + k) % CONFIGS.length];
                    String agent = switch (config) {
                        case "bare" -> null;
                        case "default" -> setup.agent("");
                        default -> setup.agent(config);
                    };
                    Child child = new Child(java, agent, List.of(), setup.benchJar(), SocketWork.class.getName(),
                            List.of(w.kind(), Integer.toString(w.threads()), warmupMillis, batches, rounds), setup.env());
                    Child.Result result = child.run(600);
                    double score = Stats.median(result.values("batch")) / 1000.0;
                    scores.get(config).add(score);
                    cpu.get(config).add(Stats.median(result.values("cpu")) / 1000.0);
                    setup.progress().printf("  %s, %s, run %d: %.2f µs%n", w.name(), config, i + 1, score);
                }
            }
            List<Double> bare = scores.get("bare");
            setup.out().println("| " + w.name()
                    + " | " + Stats.fixed(Stats.median(bare), 2)
                    + " | " + Stats.fixed(Stats.median(scores.get("default")), 2)
                    + " | " + Stats.ratio(Stats.ratios(scores.get("default"), bare))
                    + " | " + Stats.fixed(Stats.median(scores.get("stack=0")), 2)
                    + " | " + Stats.ratio(Stats.ratios(scores.get("stack=0"), bare))
                    + " | " + Stats.ratio(Stats.ratios(cpu.get("default"), cpu.get("bare")))
                    + " | " + Stats.ratio(Stats.ratios(cpu.get("stack=0"), cpu.get("bare")))
                    + " | " + loadBefore + " → " + Machine.loadAverage() + " |");
            setup.out().flush();
        }
        setup.out().println();
    }
}
