package dev.portagent.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark 2, start-up: the wall time of a child JVM from start to exit, for {@link Hello} bare, with
 * an agent that does nothing (the JVM's own price for {@code -javaagent}), and with each agent; the
 * socket variant makes the agent instrument the JDK. "first start" empties the agent's transform cache
 * before each run, "second start" runs with the cache a previous run filled.
 */
final class StartupBench {

    private enum Kind { BARE, EMPTY_AGENT, AGENT }

    private record Config(String name, Kind kind, Bench.Agent agent, boolean socket, boolean coldCache) {
    }

    private StartupBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        int runs = setup.runs() > 0 ? setup.runs() : setup.quick() ? 5 : 21;
        List<Config> configs = new ArrayList<>();
        configs.add(new Config("hello, bare", Kind.BARE, null, false, false));
        configs.add(new Config("hello, empty agent", Kind.EMPTY_AGENT, null, false, false));
        configs.add(new Config("hello+socket, bare", Kind.BARE, null, true, false));
        for (Bench.Agent a : setup.agents()) {
            for (boolean socket : new boolean[] {false, true}) {
                for (boolean cold : new boolean[] {true, false}) {
                    configs.add(new Config((socket ? "hello+socket, " : "hello, ") + a.label()
                            + (cold ? ", first start" : ", second start"), Kind.AGENT, a, socket, cold));
                }
            }
        }
        Map<Config, List<Double>> millis = new LinkedHashMap<>();
        for (Config c : configs) {
            millis.put(c, new ArrayList<>());
        }
        String loadBefore = Machine.loadAverage();
        for (int i = 0; i < runs; i++) {
            for (int k = 0; k < configs.size(); k++) {
                Config c = configs.get((i + k) % configs.size());
                if (c.kind() == Kind.AGENT && c.coldCache()) {
                    Bench.deleteTree(setup.cacheDir(c.agent()));
                } else if (c.kind() == Kind.AGENT && !Files.isDirectory(setup.cacheDir(c.agent()))) {
                    // A second start needs a first one before it.
                    child(setup, java, c).run(120);
                }
                double ms = child(setup, java, c).run(120).wallNanos() / 1e6;
                millis.get(c).add(ms);
                setup.progress().printf("  %s, run %d: %.1f ms%n", c.name(), i + 1, ms);
            }
        }
        setup.out().println("#### Start-up (" + runs + " runs each, alternating; wall ms from process start to exit;"
                + " load average " + loadBefore + " → " + Machine.loadAverage() + ")");
        setup.out().println();
        setup.out().println("| run | median ms | p25-p75 | + ms over bare (medians) | ratio to bare (side by side) |");
        setup.out().println("|---|---|---|---|---|");
        for (Config c : configs) {
            List<Double> values = millis.get(c);
            List<Double> bare = millis.get(configs.get(c.socket() ? 2 : 0));
            setup.out().println("| " + c.name() + " | " + Stats.fixed(Stats.median(values), 1)
                    + " | " + Stats.fixed(Stats.quantile(values, 0.25), 1) + "-" + Stats.fixed(Stats.quantile(values, 0.75), 1)
                    + " | " + Stats.fixed(Stats.median(values) - Stats.median(bare), 1)
                    + " | " + Stats.ratio(Stats.ratios(values, bare)) + " |");
        }
        setup.out().println();
    }

    private static Child child(Bench.Setup setup, Path java, Config c) {
        String agent = switch (c.kind()) {
            case AGENT -> c.agent().javaagent("");
            case EMPTY_AGENT -> "-javaagent:" + setup.benchJar();
            case BARE -> null;
        };
        return new Child(java, agent, List.of(), setup.benchJar(), Hello.class.getName(),
                c.socket() ? List.of("socket") : List.of(), setup.env(c.agent()));
    }
}
