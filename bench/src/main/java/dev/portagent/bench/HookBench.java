package dev.portagent.bench;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hooks' own CPU per round ({@link HookWork}) against the CPU of the same round of the real loop
 * ({@link SocketWork}, bare), children alternating: a share the profile of the {@code cpu} benchmark cannot
 * resolve below half a point, measured to a few hundredths. With one thread a floor: in the real loop the
 * kernel's work between two hooks leaves them cold caches, which this loop does not. With four, threads
 * that run nothing but hooks contend far more than in the real loop: neither floor nor ceiling.
 */
final class HookBench {

    private record Workload(String name, String kind, int threads, int hookRounds, int loopRounds, int loopWarmupMillis) {
    }

    // Batches of about a second: the process's CPU time is read in ticks of 10 ms.
    private static final List<Workload> WORKLOADS = List.of(
            new Workload("TCP connect+accept+close, 1 thread", "tcp", 1, 1_000_000, 8_000, 3_000),
            new Workload("TCP connect+accept+close, 4 threads", "tcp", 4, 500_000, 20_000, 10_000),
            new Workload("UDP open+send+close, 1 thread", "udp", 1, 2_000_000, 40_000, 3_000));

    private static final List<String> OPTIONS = List.of("", "stack=0");
    // HookWork's rounds without hooks: the objects the JDK makes, subtracted from each column.
    private static final String NO_HOOKS = "-";

    private HookBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        int runs = setup.runs() > 0 ? setup.runs() : setup.quick() ? 2 : 4;
        String batches = setup.quick() ? "3" : "5";
        setup.out().println("#### The hooks alone (" + runs + " children per column, alternating; the hooks' CPU per round:"
                + " each child's median less that of the child without hooks beside it, median of those; share: over the"
                + " bare loop's CPU per round, median of side-by-side shares)");
        setup.out().println();
        setup.out().println("| workload | agent | bare loop CPU µs | hooks default ns (children) | share | hooks stack=0 ns (children) | share | load avg |");
        setup.out().println("|---|---|---|---|---|---|---|---|");
        for (Workload w : WORKLOADS) {
            if (!SocketBench.chosen(w.name())) {
                continue;
            }
            int scale = setup.quick() ? 4 : 1;
            List<Double> loop = new ArrayList<>();
            Map<String, List<Double>> hooks = new LinkedHashMap<>();
            String loadBefore = Machine.loadAverage();
            for (int i = 0; i < runs; i++) {
                Child bare = new Child(java, null, List.of(), setup.benchJar(), SocketWork.class.getName(),
                        List.of(w.kind(), Integer.toString(w.threads()), Integer.toString(w.loopWarmupMillis() / scale),
                                batches, Integer.toString(w.loopRounds() / scale)), setup.env(null));
                loop.add(Stats.median(bare.run(600).values("cpu")));
                for (Bench.Agent agent : setup.agents()) {
                    List<String> columns = new ArrayList<>(OPTIONS);
                    columns.add(NO_HOOKS);
                    for (String options : columns) {
                        // HookWork numbers its file descriptors as the JDK does, in FileDescriptor's own field.
                        Child child = new Child(java, null, List.of("--add-opens=java.base/java.io=ALL-UNNAMED"),
                                agent.jar() + File.pathSeparator + setup.benchJar(), HookWork.class.getName(),
                                List.of(w.kind(), Integer.toString(w.threads()), Integer.toString(3000 / scale), batches,
                                        Integer.toString(w.hookRounds() / scale), options), Map.of());
                        double ns = Stats.median(child.run(600).values("cpu"));
                        hooks.computeIfAbsent(agent.label() + options, k -> new ArrayList<>()).add(ns);
                        setup.progress().printf("  %s, %s %s, run %d: %.0f ns, loop %.1f µs%n", w.name(),
                                agent.label(), options.isEmpty() ? "default" : options.equals(NO_HOOKS) ? "no hooks" : options, i + 1, ns,
                                loop.get(i) / 1000);
                    }
                }
            }
            String load = loadBefore + " → " + Machine.loadAverage();
            for (Bench.Agent agent : setup.agents()) {
                StringBuilder row = new StringBuilder("| " + w.name() + " | " + agent.label() + " | "
                        + Stats.fixed(Stats.median(loop) / 1000, 1) + " |");
                List<Double> none = hooks.get(agent.label() + NO_HOOKS);
                for (String options : OPTIONS) {
                    List<Double> ns = Stats.differences(hooks.get(agent.label() + options), none);
                    // With a handful of children the whole spread, not quartiles: it is as large as most differences.
                    row.append(' ').append(Stats.fixed(Stats.median(ns), 0)).append(" (")
                            .append(Stats.fixed(Stats.quantile(ns, 0), 0)).append('-')
                            .append(Stats.fixed(Stats.quantile(ns, 1), 0)).append(") | ")
                            .append(Stats.fixed(100 * Stats.median(Stats.ratios(ns, loop)), 2)).append(" % |");
                }
                setup.out().println(row.append(' ').append(load).append(" |"));
            }
            setup.out().flush();
        }
        setup.out().println();
    }
}
