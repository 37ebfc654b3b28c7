package dev.portagent.e2e.harm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.ChildJvm.Signal;
import dev.portagent.e2e.Jdk;
import dev.portagent.e2e.apps.HarmExits;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The report is on disk however the JVM ends, and with reportInterval even when it is killed outright. */
class ExitReportIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    /** How the application ends: its arguments, or a signal sent while it waits; and the exit code. */
    record Ending(String name, List<String> args, Signal signal, int exitCode) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> endings() {
        List<Ending> endings = List.of(
                new Ending("main returns", List.of("return"), null, 0),
                new Ending("System.exit(3)", List.of("exit", "3"), null, 3),
                new Ending("uncaught exception in main", List.of("throw"), null, 1),
                new Ending("SIGTERM", List.of("wait", "return"), Signal.TERM, 128 + 15),
                new Ending("SIGINT", List.of("wait", "return"), Signal.INT, 128 + 2));
        return EveryJdk.times(endings);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("endings")
    void theReportIsWrittenHoweverTheJvmEnds(Jdk jdk, Ending ending) {
        jdk.assumePresent();
        Path report = dir.resolve("ports.json");
        int port;
        try (ChildJvm child = ChildJvm.on(jdk).agent("report=" + report).classpath(ChildJvm.testClasspath())
                .mainClass(HarmExits.class).args(ending.args().toArray(String[]::new)).start()) {
            port = Integer.parseInt(child.awaitLine("^PORT (\\d+)$", TIMEOUT).group(1));
            if (ending.signal() != null) {
                child.signal(ending.signal());
            }

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isEqualTo(ending.exitCode());
            assertThat(child.stderr()).as(child::describe).doesNotContain("portagent:");
        }
        JsonNode written = Reports.read(report);
        assertThat(written.get("reason").asText()).isEqualTo("exit");
        assertThat(Reports.socket(written, "tcp", "listen", port)).as("the listener on %d in %s", port, written)
                .hasValueSatisfying(listener -> {
                    assertThat(listener.get("state").asText()).isEqualTo("open");
                    assertThat(listener.get("site").asText()).startsWith(HarmExits.class.getName() + ".main(");
                });
    }

    /**
     * SIGKILL runs no shutdown hook: what is on disk is the last periodic report. The child opens its
     * listener, the test waits until a periodic report shows it, then kills the child; the file must
     * still be a whole report that holds the listener, generated after the listener opened.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void withReportIntervalSigkillLosesAtMostOneInterval(Jdk jdk) {
        jdk.assumePresent();
        Path report = dir.resolve("ports.json");
        int port;
        try (ChildJvm child = ChildJvm.on(jdk).agent("report=" + report + ",reportInterval=1")
                .classpath(ChildJvm.testClasspath()).mainClass(HarmExits.class).args("wait", "return").start()) {
            port = Integer.parseInt(child.awaitLine("^PORT (\\d+)$", TIMEOUT).group(1));
            Reports.awaitReport(report, TIMEOUT, r -> Reports.socket(r, "tcp", "listen", port).isPresent());

            child.close(); // SIGKILL
            assertThat(child.awaitExit(TIMEOUT)).isEqualTo(128 + 9);
        }
        JsonNode written = Reports.read(report);
        assertThat(written.get("reason").asText()).isEqualTo("interval");
        JsonNode listener = Reports.socket(written, "tcp", "listen", port).orElseThrow();
        assertThat(listener.get("state").asText()).isEqualTo("open");
        assertThat(Instant.parse(written.get("generatedAt").asText()))
                .isAfterOrEqualTo(Instant.parse(listener.get("openedAt").asText()));
    }
}
