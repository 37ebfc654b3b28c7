package dev.portagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.e2e.apps.ManySockets;
import dev.portagent.proc.ProcSocket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.MatchResult;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Eight threads open and close sockets concurrently, then ten thousand more are held: the registry's
 * counts must still be exact, its open sockets the kernel's, and the report valid JSON.
 */
class ManySocketsIT {

    private static final int HELD = 10_000;
    private static final int HISTORY = 10_000; // the agent's default
    // Tens of thousands of loopback handshakes: generous for a loaded two-core machine.
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void countsAreExactAndOpenSocketsAreTheKernels(Jdk jdk, @TempDir Path dir) throws IOException {
        jdk.assumePresent();
        assumeDescriptorsFor(HELD + 1_000);
        Path reportFile = dir.resolve("ports.json");
        MatchResult counts;
        List<ProcSocket> held;
        try (ChildJvm child = ChildJvm.on(jdk).agent("report=" + reportFile).classpath(ChildJvm.testClasspath())
                .mainClass(ManySockets.class).args(Integer.toString(HELD)).start()) {
            counts = child.awaitLine("^COUNTS binds=(\\d+) connects=(\\d+) accepts=(\\d+) closed=(\\d+)$", TIMEOUT);
            child.awaitLine("^READY$", TIMEOUT);
            held = SocketsAssert.heldBy(child.pid());
            child.send("exit");
            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
        }
        Report report = Report.read(reportFile);

        long closed = Long.parseLong(counts.group(4));
        SoftAssertions softly = new SoftAssertions();
        softly.assertThat(held).as("sockets of the child in /proc").hasSizeGreaterThan(HELD);
        softly.assertThat(report.summary("open")).as("summary.open").isEqualTo(held.size());
        List<String> reported = report.open().stream().map(Report::kernelView).toList();
        List<String> kernel = held.stream().map(Report::kernelView).toList();
        softly.assertThat(SocketsAssert.minus(reported, kernel)).as("open in the report, not in /proc").isEmpty();
        softly.assertThat(SocketsAssert.minus(kernel, reported)).as("in /proc, not open in the report").isEmpty();
        softly.assertThat(report.summary("binds")).as("summary.binds").isEqualTo(Long.parseLong(counts.group(1)));
        softly.assertThat(report.summary("connects")).as("summary.connects").isEqualTo(Long.parseLong(counts.group(2)));
        softly.assertThat(report.summary("accepts")).as("summary.accepts").isEqualTo(Long.parseLong(counts.group(3)));
        softly.assertThat(report.summary("closed")).as("summary.closed").isEqualTo(closed);
        softly.assertThat(report.summary("droppedHistory")).as("summary.droppedHistory").isEqualTo(closed - HISTORY);
        softly.assertThat(report.closed()).as("closed records kept").hasSize(HISTORY);
        softly.assertAll();
    }

    /** The child JVM raises its soft limit to the hard one, which it inherits from this JVM. */
    private static void assumeDescriptorsFor(int needed) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String hard = line.substring("Max open files".length()).trim().split("\\s+")[1];
                Assumptions.assumeTrue(hard.equals("unlimited") || Long.parseLong(hard) >= needed,
                        "skipped: the hard limit of open files is " + hard + ", the test needs " + needed);
                return;
            }
        }
    }
}
