package dev.portagent.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark 2, start-up: the wall time of a child JVM from start to exit, for {@link Hello} bare, with
 * an agent that does nothing (the JVM's own price for {@code -javaagent}), and with portagent; the
 * socket variant makes portagent instrument the JDK. "first start" empties the transform cache before
 * each run, "second start" runs with the cache a previous run filled.
 */
final class StartupBench {

    private record Config(String name, boolean agent, boolean emptyAgent, boolean socket, boolean coldCache) {
    }

    private static final List<Config> CONFIGS = List.of(
            new Config("hello, bare", false, false, false, false),
            new Config("hello, empty agent", false, true, false, false),
            new Config("hello, portagent, first start", true, false, false, true),
            new Config("hello, portagent, second start", true, false, false, false),
            new Config("hello+socket, bare", false, false, true, false),
            new Config("hello+socket, portagent, first start", true, false, true, true),
            new Config("hello+socket, portagent, second start", true, false, true, false));

    private StartupBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        int runs = setup.runs() > 0 ? setup.runs() : setup.quick() ? 5 : 21;
        Map<Config, List<Double>> millis = new LinkedHashMap<>();
        for (Config c : CONFIGS) {
            millis.put(c, new ArrayList<>());
        }
        String loadBefore = Machine.loadAverage();
        for (int i = 0; i < runs; i++) {
            for (int k = 0; k < CONFIGS.size(); k++) {
                Config c = CONFIGS.get((i + k) % CONFIGS.size());
                if (c.coldCache()) {
                    Bench.deleteTree(setup.cacheDir());
                } else if (c.agent() && !Files.isDirectory(setup.cacheDir())) {
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
        for (Config c : CONFIGS) {
            List<Double> values = millis.get(c);
            List<Double> bare = millis.get(CONFIGS.get(c.socket() ? 4 : 0));
            setup.out().println("| " + c.name() + " | " + Stats.fixed(Stats.median(values), 1)
                    + " | " + Stats.fixed(Stats.quantile(values, 0.25), 1) + "-" + Stats.fixed(Stats.quantile(values, 0.75), 1)
                    + " | " + Stats.fixed(Stats.median(values) - Stats.median(bare), 1)
                    + " | " + Stats.ratio(Stats.ratios(values, bare)) + " |");
        }
        setup.out().println();
    }

    private static Child child(Bench.Setup setup, Path java, Config c) {
        String agent = c.agent() ? setup.agent("") : c.emptyAgent() ? "-javaagent:" + setup.benchJar() : null;
        return new Child(java, agent, List.of(), setup.benchJar(), Hello.class.getName(),
                c.socket() ? List.of("socket") : List.of(), setup.env());
    }
}
