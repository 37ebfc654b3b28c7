package dev.portagent.bench;

import dev.portagent.bench.SocketBench.Config;
import dev.portagent.bench.SocketBench.Workload;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where the per-socket time goes: {@link SocketWork} children under Linux {@code perf record}, their
 * CPU samples sorted into the agent's parts. A share of samples is a share of the process's CPU, so it
 * does not depend on how busy the rest of the machine is, unlike the ratios of {@link SocketBench}.
 * Only the measured batches are sampled (the profiler starts when the child says its warm-up is over).
 *
 * <p>The children run with {@code -XX:+PreserveFramePointer}, so perf can walk through compiled Java
 * frames, and {@code -XX:+DumpPerfMapAtExit}, so it can name them. Agent code that the JIT inlined into
 * a JDK method carries that method's name: the "agent code" part is a lower bound. With
 * {@code -Dportagent.bench.cpu.outOfLine=true} each agent child is profiled a second time with the agent's
 * methods kept out of line, so that all of its code shows: an overstatement, since each of its small methods
 * then pays a call and the JIT optimises less across them. The two bracket the agent's share.
 */
final class CpuBench {

    private enum Part {
        OWN_THREAD("agent's own thread"),
        STACK_WALK("JVM stack walk (new Throwable())"),
        HOOKS("agent code on the socket threads"),
        REST("application, JDK, kernel, JIT, GC");

        final String label;

        Part(String label) {
            this.label = label;
        }
    }

    // Long batches (about 5 s each here): perf takes a moment to attach, and a short profile would catch
    // mostly the child's exit.
    private static final List<Workload> WORKLOADS = List.of(
            new Workload("TCP connect+accept+close, 4 threads", "tcp", 4, 20_000, 10_000),
            new Workload("UDP open+send+close, 1 thread", "udp", 1, 200_000, 3_000));

    // Every package of the agent, not the benchmarks: their loop would pay the calls too.
    private static final List<String> OUT_OF_LINE = List.of("-XX:CompileCommand=quiet",
            "-XX:CompileCommand=dontinline,dev.portagent.bootstrap.*::*",
            "-XX:CompileCommand=dontinline,dev.portagent.registry.*::*",
            "-XX:CompileCommand=dontinline,dev.portagent.instrument.*::*",
            "-XX:CompileCommand=dontinline,dev.portagent.jmx.*::*",
            "-XX:CompileCommand=dontinline,dev.portagent.options.*::*",
            "-XX:CompileCommand=dontinline,dev.portagent.proc.*::*");

    private record Run(Config config, boolean outOfLine) {
        String name() {
            return config.name() + (outOfLine ? " (agent out of line)" : "");
        }
    }

    private CpuBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        String perfProblem = perfProblem();
        setup.out().println("#### Where the time goes (perf samples of the measured batches)");
        setup.out().println();
        if (perfProblem != null) {
            setup.out().println("Skipped: " + perfProblem + ".");
            setup.out().println();
            return;
        }
        int runs = setup.runs() > 0 ? setup.runs() : setup.quick() ? 1 : 2;
        StringBuilder header = new StringBuilder("| workload | run | samples | CPU µs per round |");
        StringBuilder rule = new StringBuilder("|---|---|---|---|");
        for (Part p : Part.values()) {
            header.append(' ').append(p.label).append(" |");
            rule.append("---|");
        }
        setup.out().println("Each part: share of the process's CPU samples, and that share of the CPU time per round.");
        setup.out().println();
        setup.out().println(header);
        setup.out().println(rule);
        for (Workload w : WORKLOADS) {
            if (!SocketBench.chosen(w)) {
                continue;
            }
            List<Run> configs = new ArrayList<>();
            configs.add(new Run(new Config(null, ""), false));
            for (Bench.Agent a : setup.agents()) {
                for (String options : SocketBench.options(a)) {
                    configs.add(new Run(new Config(a, options), false));
                    if (Boolean.getBoolean("portagent.bench.cpu.outOfLine")) {
                        configs.add(new Run(new Config(a, options), true));
                    }
                }
            }
            for (int i = 0; i < runs; i++) {
                for (Run c : configs) {
                    Profile p = profile(setup, java, w, c);
                    StringBuilder row = new StringBuilder("| " + w.name() + " | " + c.name() + " #" + (i + 1) + " | "
                            + p.total + " | " + Stats.fixed(p.cpuMicrosPerRound, 1) + " |");
                    for (Part part : Part.values()) {
                        if (p.total == 0) {
                            // perf attached too late or not at all (seen once in ten children): no shares to give.
                            row.append(" perf recorded no sample |");
                            continue;
                        }
                        double share = p.samples.getOrDefault(part, 0L) / (double) p.total;
                        row.append(' ').append(Stats.fixed(100 * share, 1)).append(" % (")
                                .append(Stats.fixed(share * p.cpuMicrosPerRound, 2)).append(" µs) |");
                    }
                    setup.out().println(row);
                    setup.out().flush();
                    setup.progress().println("  cpu: " + w.name() + ", " + c.name() + ": " + p.total + " samples");
                }
            }
        }
        setup.out().println();
    }

    private record Profile(Map<Part, Long> samples, long total, double cpuMicrosPerRound) {
    }

    private static Profile profile(Bench.Setup setup, Path java, Workload w, Run run)
            throws IOException, InterruptedException {
        String warmup = Integer.toString(setup.quick() ? 1000 : w.warmupMillis());
        String rounds = Integer.toString(setup.quick() ? w.roundsPerBatch() / 4 : w.roundsPerBatch());
        Config c = run.config();
        List<String> jvm = new ArrayList<>(List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:+DumpPerfMapAtExit",
                "-XX:+PreserveFramePointer"));
        if (run.outOfLine()) {
            jvm.addAll(OUT_OF_LINE);
        }
        Child child = new Child(java, c.agent() == null ? null : c.agent().javaagent(c.options()), jvm,
                setup.benchJar(), SocketWork.class.getName(),
                List.of(w.kind(), Integer.toString(w.threads()), warmup, "5", rounds), setup.env(c.agent()));
        Path data = setup.work().resolve("perf.data");
        Process process = child.start();
        List<Double> cpu = new ArrayList<>();
        Process perf = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("warmup ")) {
                    // perf record -p ends by itself when the process exits.
                    perf = new ProcessBuilder("perf", "record", "-q", "-F", "999", "-g", "-p",
                            Long.toString(process.pid()), "-o", data.toString())
                            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                } else if (line.startsWith("cpu ")) {
                    cpu.add(Double.parseDouble(line.substring(4)));
                }
            }
        }
        if (!process.waitFor(600, TimeUnit.SECONDS) || process.exitValue() != 0 || perf == null
                || !perf.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("the profiled child failed: " + child);
        }
        Path map = Path.of("/tmp/perf-" + process.pid() + ".map");
        try {
            Process script = new ProcessBuilder("perf", "script", "-i", data.toString(), "-F", "comm,tid,ip,sym")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            Map<Part, Long> samples = new EnumMap<>(Part.class);
            long total = 0;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
                List<String> sample = new ArrayList<>();
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.isBlank()) {
                        if (!sample.isEmpty()) {
                            samples.merge(classify(sample), 1L, Long::sum);
                            total++;
                            sample.clear();
                        }
                    } else {
                        sample.add(line);
                    }
                }
                if (!sample.isEmpty()) {
                    samples.merge(classify(sample), 1L, Long::sum);
                    total++;
                }
            }
            script.waitFor(120, TimeUnit.SECONDS);
            return new Profile(samples, total, Stats.median(cpu) / 1000.0);
        } finally {
            Files.deleteIfExists(map);
            Files.deleteIfExists(data);
        }
    }

    /** A sample is its header line ({@code comm tid}, comm may hold spaces) and then one line per frame. */
    static Part classify(List<String> sample) {
        String header = sample.get(0).strip();
        int lastSpace = header.lastIndexOf(' ');
        String thread = lastSpace < 0 ? header : header.substring(0, lastSpace).strip();
        if (thread.equals("portagent")) {
            return Part.OWN_THREAD;
        }
        boolean agentFrame = false;
        for (String frame : sample.subList(1, sample.size())) {
            // JDK 17-25: the JVM fills a Throwable's backtrace in java_lang_Throwable::fill_in_stack_trace.
            if (frame.contains("fill_in_stack_trace") || frame.contains("JVM_FillInStackTrace")) {
                return Part.STACK_WALK;
            }
            agentFrame |= frame.contains("dev.portagent.") && !frame.contains("dev.portagent.bench.");
        }
        return agentFrame ? Part.HOOKS : Part.REST;
    }

    /** Null when perf can profile a child here, else why not. */
    private static String perfProblem() {
        try {
            Process p = new ProcessBuilder("perf", "record", "-q", "-o", "/dev/null", "--", "true")
                    .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "perf record does not work here (" + output.lines().findFirst().orElse("exit " + p.exitValue())
                        + "; as root, or with kernel.perf_event_paranoid <= 1)";
            }
            return null;
        } catch (IOException | InterruptedException e) {
            return "perf is not installed (Debian: linux-perf)";
        }
    }
}
