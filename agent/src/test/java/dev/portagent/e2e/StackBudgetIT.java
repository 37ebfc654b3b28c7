package dev.portagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portagent.e2e.apps.HarmChurn;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.MatchResult;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sockets opened faster than {@code stackRate}: the agent walks the stack for no more than the budget,
 * every record still counts, and a record without its stack says why instead of naming a site.
 */
class StackBudgetIT {

    private static final int SOCKETS = 20_000;
    private static final int RATE = 10;
    private static final String NOT_SAMPLED =
            "(stack not sampled: over the budget of stackRate=" + RATE + " stacks per second)";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void pastTheBudgetRecordsAreSampledAndSaySo(Jdk jdk, @TempDir Path dir) {
        jdk.assumePresent();
        Path reportFile = dir.resolve("ports.json");
        MatchResult churned;
        try (ChildJvm child = ChildJvm.on(jdk).agent("report=" + reportFile + ",stackRate=" + RATE)
                .classpath(ChildJvm.testClasspath()).mainClass(HarmChurn.class).args(Integer.toString(SOCKETS)).start()) {
            churned = child.awaitLine("^CHURNED \\d+ (\\d+)$", TIMEOUT);
            child.send("exit");
            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
        }
        Report report = Report.read(reportFile);
        long windows = Long.parseLong(churned.group(1)) / 1000 + 2;

        assertThat(report.summary("binds")).isEqualTo(SOCKETS);
        List<JsonNode> sites = StreamSupport.stream(report.json().get("sites").spliterator(), false).toList();
        assertThat(sites).extracting(s -> s.get("site").asText()).hasSize(2).contains(NOT_SAMPLED)
                .anySatisfy(site -> assertThat(site).startsWith(HarmChurn.class.getName() + ".main("));
        long sampled = sites.stream().filter(s -> !s.get("site").asText().equals(NOT_SAMPLED))
                .mapToLong(s -> s.get("opened").asLong()).sum();
        long notSampled = sites.stream().filter(s -> s.get("site").asText().equals(NOT_SAMPLED))
                .mapToLong(s -> s.get("opened").asLong()).sum();
        assertThat(sampled + notSampled).isEqualTo(SOCKETS);
        assertThat(sampled).as("stacks taken in %d windows of a second", windows).isBetween(1L, RATE * windows);
        assertThat(report.closed()).isNotEmpty().allSatisfy(s -> {
            if (s.get("site").asText().equals(NOT_SAMPLED)) {
                assertThat(s.get("stack")).isEmpty();
            } else {
                assertThat(s.get("site").asText()).startsWith(HarmChurn.class.getName() + ".main(");
                assertThat(s.get("stack")).isNotEmpty();
            }
        });
    }
}
