package dev.portagent.e2e.harm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.Jdk;
import dev.portagent.e2e.SocketsAssert;
import dev.portagent.e2e.SocketsAssert.Port;
import dev.portagent.e2e.apps.HarmStorm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.MatchResult;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** 16 threads open and close 50000 sockets at once: exact counters, an open table /proc agrees with, no deadlock. */
class ConcurrencyIT {

    private static final int THREADS = 16;
    private static final int SOCKETS = 50_000;
    // A deadlock in the agent would hang the child for ever; the whole run, start to exit, must end.
    private static final Duration WHOLE_RUN = Duration.ofMinutes(5);
    private static final Duration STEP = Duration.ofMinutes(4);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void countersAreExactAndTheOpenTableMatchesProc(Jdk jdk) {
        jdk.assumePresent();
        Path report = dir.resolve("ports.json");
        assertTimeoutPreemptively(WHOLE_RUN, () -> {
            try (ChildJvm child = ChildJvm.on(jdk).agent("report=" + report + ",reportInterval=1")
                    .classpath(ChildJvm.testClasspath()).mainClass(HarmStorm.class)
                    .args(Integer.toString(THREADS), Integer.toString(SOCKETS)).start()) {
                MatchResult done = child.awaitLine(
                        "^DONE binds=(\\d+) connects=(\\d+) accepts=(\\d+) closed=(\\d+) port=(\\d+)$", STEP);
                long binds = Long.parseLong(done.group(1));
                long connects = Long.parseLong(done.group(2));
                long accepts = Long.parseLong(done.group(3));
                long closed = Long.parseLong(done.group(4));
                int listenerPort = Integer.parseInt(done.group(5));
                assertThat(binds + connects).as("sockets opened by the threads, and the listener").isEqualTo(SOCKETS + 1);

                JsonNode written = Reports.awaitReport(report, STEP, r -> Reports.summary(r, "closed") >= closed);

                assertThat(Reports.summary(written, "binds")).isEqualTo(binds);
                assertThat(Reports.summary(written, "connects")).isEqualTo(connects);
                assertThat(Reports.summary(written, "accepts")).isEqualTo(accepts);
                assertThat(Reports.summary(written, "closed")).isEqualTo(closed);
                // Read while sockets closed, the open table and the history must not both list one.
                assertThat(Reports.sockets(written).stream().map(s -> s.get("id").asLong()))
                        .as("each socket listed once").doesNotHaveDuplicates();
                Set<Port> open = new TreeSet<>();
                Reports.sockets(written).stream().filter(s -> s.get("state").asText().equals("open"))
                        .forEach(s -> open.add(new Port(s.get("protocol").asText(), s.get("localPort").asInt())));
                // The records themselves in the message: their origin and site say who held an extra port.
                assertThat(open).as(() -> "open in the report: " + Reports.sockets(written).stream()
                        .filter(s -> s.get("state").asText().equals("open")).toList())
                        .containsExactly(Port.tcp(listenerPort));
                SocketsAssert.assertPortsOf(child.pid(), open);

                child.send("end");
                assertThat(child.awaitExit(STEP)).as(child::describe).isZero();
            }
        });
    }
}
