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
 * socket variants make the agent instrument the JDK, at once or after the classes variant's work (as an
 * application opens its first socket after its own start-up). "first start" empties the agent's transform
 * cache before each run, "second start" runs with the cache a previous run filled. "report at exit" is hello
 * world with {@code report=}.
 */
final class StartupBench {

    private enum Kind { BARE, EMPTY_AGENT, AGENT }

    /** The argument of {@link Hello}: what the program does besides printing a line. */
    private enum Work {
        HELLO("hello"), SOCKET("hello+socket"), CLASSES("hello+classes"), CLASSES_SOCKET("hello+classes+socket");

        final String label;

        Work(String label) {
            this.label = label;
        }
    }

    private record Config(String name, Kind kind, Bench.Agent agent, Work work, boolean coldCache, String options) {
        Config(String name, Kind kind, Bench.Agent agent, Work work, boolean coldCache) {
            this(name, kind, agent, work, coldCache, "");
        }
    }

    private StartupBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        int runs = setup.runs() > 0 ? setup.runs() : setup.quick() ? 5 : 21;
        List<Config> configs = new ArrayList<>();
        Map<Work, Config> bare = new LinkedHashMap<>();
        Map<Work, Config> empty = new LinkedHashMap<>();
        for (Work w : Work.values()) {
            bare.put(w, new Config(w.label + ", bare", Kind.BARE, null, w, false));
            empty.put(w, new Config(w.label + ", empty agent", Kind.EMPTY_AGENT, null, w, false));
            configs.add(bare.get(w));
            configs.add(empty.get(w));
        }
        // A report at exit, as CI pipelines keep one: the agent then finishes its installation and scans /proc.
        Path reports = Files.createDirectories(setup.work().resolve("startup-reports"));
        for (Bench.Agent a : setup.agents()) {
            configs.add(new Config(Work.HELLO.label + ", " + a.label() + ", report at exit", Kind.AGENT, a, Work.HELLO,
                    false, "report=" + reports.resolve(a.label() + ".json")));
            for (Work w : Work.values()) {
                // Only the socket works weave JDK classes; without them the cache is never read.
                boolean socket = w == Work.SOCKET || w == Work.CLASSES_SOCKET;
                for (boolean cold : socket ? new boolean[] {true, false} : new boolean[] {false}) {
                    configs.add(new Config(w.label + ", " + a.label() + (!socket ? ""
                            : cold ? ", first start" : ", second start"), Kind.AGENT, a, w, cold));
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
        setup.out().println("| run | median ms | p25-p75 | + ms over bare (medians) | + ms over an empty agent (medians)"
                + " | ratio to bare (side by side) |");
        setup.out().println("|---|---|---|---|---|---|");
        for (Config c : configs) {
            List<Double> values = millis.get(c);
            List<Double> bareValues = millis.get(bare.get(c.work()));
            setup.out().println("| " + c.name() + " | " + Stats.fixed(Stats.median(values), 1)
                    + " | " + Stats.fixed(Stats.quantile(values, 0.25), 1) + "-" + Stats.fixed(Stats.quantile(values, 0.75), 1)
                    + " | " + Stats.fixed(Stats.median(values) - Stats.median(bareValues), 1)
                    + " | " + (c.kind() == Kind.AGENT ? Stats.fixed(Stats.median(values) - Stats.median(millis.get(empty.get(c.work()))), 1) : "")
                    + " | " + Stats.ratio(Stats.ratios(values, bareValues)) + " |");
        }
        setup.out().println();
    }

    private static Child child(Bench.Setup setup, Path java, Config c) {
        String agent = switch (c.kind()) {
            case AGENT -> c.agent().javaagent(c.options());
            case EMPTY_AGENT -> "-javaagent:" + setup.benchJar();
            case BARE -> null;
        };
        return new Child(java, agent, List.of(), setup.benchJar(), Hello.class.getName(),
                switch (c.work()) {
                    case HELLO -> List.of();
                    case SOCKET -> List.of("socket");
                    case CLASSES -> List.of("classes");
                    case CLASSES_SOCKET -> List.of("classes", "socket");
                }, setup.env(c.agent()));
    }
}
