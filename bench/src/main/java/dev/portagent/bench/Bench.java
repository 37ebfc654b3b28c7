package dev.portagent.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the benchmarks of issue 7 and prints their results as Markdown on stdout (progress on stderr).
 *
 * <pre>
 * java -jar bench/target/bench.jar [all|socket|startup|memory|jmx|cpu|hooks|toggle]... [--quick] [--runs N]
 *      [--agent [LABEL=]agent/target/portagent.jar]... [--java /path/to/bin/java]...
 * </pre>
 *
 * With several {@code --agent}s (builds before and after a change), all of them run in the same
 * rotation against the same bare runs.
 *
 * Every benchmark compares the same work with and without the agent, in child JVMs started one after
 * the other in alternating order, so that a change of the machine's load hits both sides alike.
 */
public final class Bench {

    /** What every benchmark needs: where things are and how long to run. */
    /** A build of the agent under test, and the name its rows carry. */
    record Agent(String label, Path jar) {

        String javaagent(String options) {
            return "-javaagent:" + jar + (options.isEmpty() ? "" : "=" + options);
        }
    }

    record Setup(List<Path> javas, List<Agent> agents, Path benchJar, Path work, boolean quick, int runs,
                 PrintStream out, PrintStream progress) {

        /** Children keep their cache in the benchmark's own directory, one per agent, never in the user's. */
        Map<String, String> env(Agent agent) {
            return Map.of("XDG_CACHE_HOME", work.resolve("xdg-cache").resolve(agent == null ? "none" : agent.label()).toString());
        }

        Path cacheDir(Agent agent) {
            return work.resolve("xdg-cache").resolve(agent.label()).resolve("portagent");
        }
    }

    private static final List<String> ALL = List.of("socket", "startup", "memory", "jmx", "cpu", "hooks", "toggle");

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        Set<String> which = new LinkedHashSet<>();
        List<Path> javas = new ArrayList<>();
        Path benchJar = Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Agent> agents = new ArrayList<>();
        boolean quick = false;
        int runs = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--agent" -> agents.add(agent(args[++i]));
                case "--java" -> javas.add(Path.of(args[++i]).toAbsolutePath());
                case "all" -> which.addAll(ALL);
                case "socket", "startup", "memory", "jmx", "cpu", "hooks", "toggle" -> which.add(args[i]);
                default -> {
                    System.err.println("unknown argument " + args[i]
                            + "; usage: bench.jar [all|socket|startup|memory|jmx|cpu|hooks|toggle]... [--quick] [--runs N]"
                            + " [--agent [LABEL=]PATH]... [--java PATH]...");
                    System.exit(2);
                }
            }
        }
        if (which.isEmpty()) {
            which.addAll(ALL);
        }
        if (javas.isEmpty()) {
            javas.add(Path.of(System.getProperty("java.home"), "bin", "java"));
        }
        if (agents.isEmpty()) {
            agents.add(new Agent("portagent", benchJar.getParent().resolve("../../agent/target/portagent.jar").normalize()));
        }
        for (Agent a : agents) {
            if (!Files.isRegularFile(a.jar())) {
                System.err.println("no agent jar at " + a.jar() + ": build it first (mvn -B -q -pl agent,bench -am package -DskipTests)");
                System.exit(2);
            }
        }
        Path work = benchJar.getParent().resolve("bench-work");
        Files.createDirectories(work);
        Setup setup = new Setup(javas, List.copyOf(agents), benchJar, work, quick, runs, System.out, System.err);

        PrintStream out = setup.out();
        out.println("## Run of " + Instant.now() + (quick ? " (--quick: for trying the benchmarks, not for publishing)" : ""));
        out.println();
        Machine.describe(setup);
        for (Path java : javas) {
            out.println("### " + Machine.javaVersion(java));
            out.println();
            for (String name : which) {
                switch (name) {
                    case "socket" -> SocketBench.run(setup, java);
                    case "startup" -> StartupBench.run(setup, java);
                    case "memory" -> MemoryBench.run(setup, java);
                    case "jmx" -> JmxBench.run(setup, java);
                    case "cpu" -> CpuBench.run(setup, java);
                    case "hooks" -> HookBench.run(setup, java);
                    case "toggle" -> ToggleBench.run(setup, java);
                    default -> throw new AssertionError(name);
                }
                out.flush();
            }
        }
        out.println("Load average at the end: " + Machine.loadAverage());
    }

    private static Agent agent(String arg) {
        int eq = arg.indexOf('=');
        Path jar = Path.of(eq < 0 ? arg : arg.substring(eq + 1)).toAbsolutePath();
        return new Agent(eq < 0 ? jar.getFileName().toString().replaceFirst("\\.jar$", "") : arg.substring(0, eq), jar);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }
}
