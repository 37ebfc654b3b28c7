package dev.portagent.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The agent's share of the per-socket loops, measured inside one child ({@link ToggleWork}): batches with its
 * recording on and off alternate, and each pair's ratio compares two batches that ran on the same JIT code,
 * heap and machine state, seconds apart. Separate children differ by ±3-15 % from one another (the JIT's
 * choices, where the heap and the stacks landed, the machine's hour), which buries a cost of 1-3 %; pairs
 * inside a child resolve a point or better (the mean's 95 % interval: ±0.4-1.1 points on UDP, ±1.4-2.0 on TCP). What it cannot see: the woven advice's own test of the listener
 * (on both sides of every pair) and what weaving changes in the JIT's inlining of the JDK's socket methods;
 * {@link SocketBench} compares with a bare JVM, and {@link HookBench} times the hooks with warm caches.
 */
final class ToggleBench {

    /** Its defaults and {@code stack=0}, or {@code -Dportagent.bench.toggle.options=set;set} (to weigh one option). */
    private static List<String> options() {
        String sets = System.getProperty("portagent.bench.toggle.options");
        return sets == null ? List.of("", "stack=0") : List.of(sets.split(";", -1));
    }

    private ToggleBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        int children = setup.runs() > 0 ? setup.runs() : setup.quick() ? 1 : 2;
        int pairs = setup.quick() ? 6 : 60;
        setup.out().println("#### The agent switched off and on in one child (" + children + " children per row, " + pairs
                + " pairs of batches each; share: a pair's batch with the agent on over its batch with it off, less 1;"
                + " median of all pairs with the interquartile range, and the mean with its 95 % interval; the rows of one"
                + " workload run their children in turn, and share the load average's column)");
        setup.out().println();
        setup.out().println("| workload | agent | options | off µs | wall share, median (IQR) | wall share, mean | off CPU µs"
                + " | CPU share, median (IQR) | CPU share, mean | recorded per on round | stacks per on second (all along) | load avg |");
        setup.out().println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (SocketBench.Workload w : SocketBench.WORKLOADS) {
            if (!SocketBench.chosen(w)) {
                continue;
            }
            int rounds = w.roundsPerBatch() / (setup.quick() ? 16 : 4);
            String warmupMillis = Integer.toString(setup.quick() ? 1000 : w.warmupMillis());
            // Every agent's and option's children take turns, so that every row sees the same hours of the
            // machine: with 4 threads the hour moves a row by up to three points.
            String loadBefore = Machine.loadAverage();
            List<Row> rows = new ArrayList<>();
            for (Bench.Agent agent : setup.agents()) {
                for (String options : options()) {
                    rows.add(new Row(agent, options));
                }
            }
            for (int i = 0; i < children; i++) {
                for (Row row : rows) {
                    Child child = new Child(java, row.agent.javaagent(row.options), List.of(), setup.benchJar(),
                            ToggleWork.class.getName(), List.of(w.kind(), Integer.toString(w.threads()), warmupMillis,
                                    Integer.toString(pairs), Integer.toString(rounds)), setup.env(row.agent));
                    row.add(child.run(900));
                    setup.progress().printf(Locale.ROOT, "  %s, %s %s, child %d: wall %+.2f %%, CPU %+.2f %% (median so far)%n",
                            w.name(), row.agent.label(), row.label(), i + 1,
                            100 * Stats.median(row.wallShares), 100 * Stats.median(row.cpuShares));
                }
            }
            String load = loadBefore + " → " + Machine.loadAverage();
            double onRounds = (double) children * pairs * rounds * w.threads();
            for (Row row : rows) {
                setup.out().println("| " + w.name() + " | " + row.agent.label() + " | " + row.label()
                        + " | " + Stats.fixed(Stats.median(row.offWall) / 1000, 2) + " | " + percent(row.wallShares)
                        + " | " + Stats.fixed(Stats.median(row.offCpu) / 1000, 2) + " | " + percent(row.cpuShares)
                        + " | " + Stats.fixed(row.recorded / onRounds, 2) + " | " + Stats.fixed(Stats.median(row.stacks), 0) + " ("
                        + Stats.fixed(Stats.median(row.stacksAllAlong), 0) + ")"
                        + " | " + load + " |");
            }
            setup.out().flush();
        }
        setup.out().println();
    }

    /** One row of the table: the pairs of every child run with one agent and one set of options. */
    private static final class Row {
        final Bench.Agent agent;
        final String options;
        final List<Double> offWall = new ArrayList<>();
        final List<Double> offCpu = new ArrayList<>();
        final List<Double> wallShares = new ArrayList<>();
        final List<Double> cpuShares = new ArrayList<>();
        final List<Double> stacks = new ArrayList<>();
        final List<Double> stacksAllAlong = new ArrayList<>();
        double recorded;

        Row(Bench.Agent agent, String options) {
            this.agent = agent;
            this.options = options;
        }

        String label() {
            return options.isEmpty() ? "default" : options;
        }

        void add(Child.Result result) {
            List<String> batches = result.lines().stream().filter(l -> l.startsWith("on ") || l.startsWith("off ")).toList();
            for (int b = 0; b + 1 < batches.size(); b += 2) {
                String[] first = batches.get(b).split(" ");
                String[] second = batches.get(b + 1).split(" ");
                String[] onBatch = first[0].equals("on") ? first : second;
                String[] offBatch = first[0].equals("on") ? second : first;
                offWall.add(Double.parseDouble(offBatch[1]));
                offCpu.add(Double.parseDouble(offBatch[2]));
                wallShares.add(Double.parseDouble(onBatch[1]) / Double.parseDouble(offBatch[1]) - 1);
                cpuShares.add(Double.parseDouble(onBatch[2]) / Double.parseDouble(offBatch[2]) - 1);
            }
            recorded += result.value("recorded");
            stacks.add(result.value("stacksPerOnSecond"));
            stacksAllAlong.add(result.value("stacksPerSecond"));
        }
    }

    /** "+1.23 % (+0.80 to +1.71) | +1.19 ± 0.21 %": two cells, median (IQR) and mean with its 95 % interval. */
    private static String percent(List<Double> shares) {
        return String.format(Locale.ROOT, "%+.2f %% (%+.2f to %+.2f) | %+.2f ± %.2f %%", 100 * Stats.median(shares),
                100 * Stats.quantile(shares, 0.25), 100 * Stats.quantile(shares, 0.75), 100 * Stats.mean(shares),
                100 * Stats.meanHalfInterval(shares));
    }
}
