package dev.portagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portagent.e2e.apps.EveryApi;
import dev.portagent.proc.EphemeralRange;
import dev.portagent.proc.ProcSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every socket API, in one child JVM per JDK ({@link EveryApi}): the report must agree with the kernel
 * on the sockets the child holds, and with the child on what its code asked for.
 */
class EveryApiIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void reportAgreesWithTheKernelAndTheCode(Jdk jdk, @TempDir Path dir) {
        jdk.assumePresent();
        Path reportFile = dir.resolve("ports.json");
        List<ProcSocket> held;
        List<Map<String, String>> expected;
        try (ChildJvm child = ChildJvm.on(jdk).agent("report=" + reportFile)
                // Idle connections must outlive the test, whatever the machine's speed.
                .jvmArgs("-Djdk.httpclient.keepalive.timeout=3600", "-Dsun.net.httpserver.idleInterval=3600")
                .classpath(ChildJvm.testClasspath()).classpath(ChildJvm.libs("netty-"))
                .mainClass(EveryApi.class).start()) {
            child.awaitLine("^READY$", TIMEOUT);
            held = SocketsAssert.heldBy(child.pid());
            child.send("exit");
            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
            expected = expectations(child.stdout());
        }
        Report report = Report.read(reportFile);

        SoftAssertions softly = new SoftAssertions();
        openSocketsAreTheKernels(softly, report, held);
        everyRecordIsOneTheCodeOpened(softly, report, expected);
        ephemeralMeansNoPortWasAsked(softly, report);
        acceptedSocketsShareTheListenersPort(softly, report);
        fixedPortsInTheEphemeralRangeAreWarnedAbout(softly, report);
        stacksLeadFromTheJdkToTheSite(softly, report);
        softly.assertThat(report.summary("open")).as("summary.open").isEqualTo(report.open().size());
        softly.assertThat(report.summary("closed")).as("summary.closed").isEqualTo(report.closed().size());
        softly.assertAll();
    }

    /** One to one, as (protocol, family, local address and port, remote port). */
    private static void openSocketsAreTheKernels(SoftAssertions softly, Report report, List<ProcSocket> held) {
        List<JsonNode> visible = new ArrayList<>();
        for (JsonNode s : report.open()) {
            // A TCP socket bound but neither listening nor connected has no line in /proc/net/tcp.
            boolean boundOnly = s.path("protocol").asText().equals("tcp") && s.path("role").asText().equals("bind");
            if (!boundOnly) {
                visible.add(s);
            }
        }
        List<String> reported = visible.stream().map(Report::kernelView).toList();
        List<String> kernel = held.stream().map(Report::kernelView).toList();
        softly.assertThat(SocketsAssert.minus(reported, kernel)).as("open in the report, not in /proc\nreport:\n%s",
                Report.describe(report.open())).isEmpty();
        softly.assertThat(SocketsAssert.minus(kernel, reported)).as("in /proc, not open in the report").isEmpty();
    }

    /** Each record matches one expectation the child printed, and each expectation one record. */
    private static void everyRecordIsOneTheCodeOpened(SoftAssertions softly, Report report,
                                                      List<Map<String, String>> expected) {
        List<JsonNode> unmatched = new ArrayList<>(report.sockets());
        List<Map<String, String>> missing = new ArrayList<>();
        // The most specific expectations first, so that a loose one cannot take a record a strict one needs.
        List<Map<String, String>> ordered = new ArrayList<>(expected);
        ordered.sort(Comparator.comparingInt((Map<String, String> e) -> e.size()).reversed());
        for (Map<String, String> e : ordered) {
            JsonNode match = unmatched.stream().filter(s -> matches(s, e)).findFirst().orElse(null);
            if (match == null) {
                missing.add(e);
            } else {
                unmatched.remove(match);
            }
        }
        softly.assertThat(missing).as("expected records that are not in the report\nreport:\n%s",
                Report.describe(report.sockets())).isEmpty();
        softly.assertThat(unmatched).as("records nobody expected (a Unix domain socket, a double record?)")
                .extracting(Report::describe).isEmpty();
    }

    private static boolean matches(JsonNode socket, Map<String, String> expected) {
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String key = e.getKey();
            if (key.equals("label")) {
                continue;
            }
            boolean prefix = key.endsWith("StartsWith");
            JsonNode value = socket.get(prefix ? key.substring(0, key.length() - "StartsWith".length()) : key);
            String actual = value == null ? "<absent>" : value.isNull() ? "null" : value.asText();
            if (prefix ? !actual.startsWith(e.getValue()) : !actual.equals(e.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static void ephemeralMeansNoPortWasAsked(SoftAssertions softly, Report report) {
        EphemeralRange os = EphemeralRange.read();
        JsonNode range = report.json().path("ephemeralRange");
        softly.assertThat(List.of(range.path("low").asInt(), range.path("high").asInt()))
                .as("ephemeral range").containsExactly(os.low(), os.high());
        for (JsonNode s : report.sockets()) {
            boolean accepted = s.path("role").asText().equals("accept");
            int port = s.path("localPort").asInt();
            softly.assertThat(s.path("ephemeral").asBoolean()).as("ephemeral of\n%s", Report.describe(s))
                    .isEqualTo(!accepted && s.path("requestedPort").asInt() == 0);
            softly.assertThat(s.path("inEphemeralRange").asBoolean()).as("inEphemeralRange of\n%s", Report.describe(s))
                    .isEqualTo(port >= os.low() && port <= os.high());
            softly.assertThat(s.path("closedAt").isNull()).as("closedAt of\n%s", Report.describe(s))
                    .isEqualTo(s.path("state").asText().equals("open"));
        }
    }

    private static void acceptedSocketsShareTheListenersPort(SoftAssertions softly, Report report) {
        List<Integer> listening = report.sockets().stream().filter(s -> s.path("role").asText().equals("listen"))
                .map(s -> s.path("localPort").asInt()).toList();
        for (JsonNode s : report.sockets()) {
            if (s.path("role").asText().equals("accept")) {
                softly.assertThat(listening).as("listener ports, for the accepted\n%s", Report.describe(s))
                        .contains(s.path("localPort").asInt());
            }
        }
    }

    private static void fixedPortsInTheEphemeralRangeAreWarnedAbout(SoftAssertions softly, Report report) {
        List<Integer> fixedInRange = report.sockets().stream()
                .filter(s -> s.path("requestedPort").asInt() != 0 && s.path("inEphemeralRange").asBoolean())
                .map(s -> s.path("localPort").asInt()).sorted().toList();
        List<Integer> warned = new ArrayList<>();
        report.json().path("warnings").forEach(w -> {
            if (w.path("type").asText().equals("FIXED_PORT_IN_EPHEMERAL_RANGE")) {
                warned.add(w.path("port").asInt());
            }
        });
        softly.assertThat(fixedInRange).as("the child binds one fixed port inside the range").hasSize(1);
        softly.assertThat(warned).as("ports of FIXED_PORT_IN_EPHEMERAL_RANGE warnings").isEqualTo(fixedInRange);
    }

    /** The JDK's frames first, trimmed at the API the code called, then the site, within the default depth. */
    private static void stacksLeadFromTheJdkToTheSite(SoftAssertions softly, Report report) {
        for (JsonNode s : report.sockets()) {
            List<String> stack = new ArrayList<>();
            s.path("stack").forEach(frame -> stack.add(frame.asText()));
            String site = s.path("site").asText();
            softly.assertThat(stack).as("stack of\n%s", Report.describe(s)).hasSizeBetween(2, 32).contains(site);
            int at = stack.indexOf(site);
            softly.assertThat(stack.subList(0, Math.max(at, 0))).as("frames above the site of\n%s", Report.describe(s))
                    .isNotEmpty()
                    .allMatch(frame -> frame.matches("(java|javax|jdk|sun|com\\.sun)\\..*"));
        }
    }

    /** The lines "EXPECT<TAB>key=value..." the child printed, as maps. */
    static List<Map<String, String>> expectations(String stdout) {
        return stdout.lines().filter(line -> line.startsWith("EXPECT\t")).map(line -> {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String field : line.substring("EXPECT\t".length()).split("\t")) {
                int eq = field.indexOf('=');
                fields.put(field.substring(0, eq), field.substring(eq + 1));
            }
            return fields;
        }).collect(Collectors.toList());
    }
}
