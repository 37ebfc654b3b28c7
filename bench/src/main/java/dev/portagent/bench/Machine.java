package dev.portagent.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The machine and JDK a result was measured on: without them a number means nothing. */
final class Machine {

    private Machine() {
    }

    static void describe(Bench.Setup setup) throws IOException {
        setup.out().println("| | |");
        setup.out().println("|---|---|");
        setup.out().println("| CPUs (nproc) | " + Runtime.getRuntime().availableProcessors() + " |");
        setup.out().println("| CPU model | " + cpuModel() + " |");
        setup.out().println("| kernel | " + read("/proc/sys/kernel/osrelease") + " |");
        setup.out().println("| load average at start (1, 5, 15 min) | " + loadAverage() + " |");
        for (Bench.Agent a : setup.agents()) {
            setup.out().println("| agent " + a.label() + " | " + a.jar() + " (" + Files.size(a.jar()) + " bytes) |");
        }
        setup.out().println();
    }

    static String loadAverage() {
        String[] parts = read("/proc/loadavg").split(" ");
        return parts.length < 3 ? "unknown" : parts[0] + ", " + parts[1] + ", " + parts[2];
    }

    /** The 1-minute load average, for the benchmarks that warn when the machine is busy. */
    static double load1() {
        try {
            return Double.parseDouble(read("/proc/loadavg").split(" ")[0]);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    static String javaVersion(Path java) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(java.toString(), "-version").redirectErrorStream(true).start();
        List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
        p.waitFor();
        String runtime = lines.size() > 1 ? lines.get(1).trim() : String.join(" ", lines);
        return runtime + " (" + java + ")";
    }

    private static String cpuModel() {
        for (String line : read("/proc/cpuinfo").split("\n")) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return "unknown";
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
