package dev.portagent.e2e.harm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.tools.attach.VirtualMachine;
import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.Jdk;
import dev.portagent.e2e.apps.HarmExits;
import dev.portagent.e2e.apps.HarmOtelHttp;
import dev.portagent.e2e.apps.HarmOwnByteBuddy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** portagent beside what real applications carry: their own Byte Buddy and Jackson, another agent, itself. */
class CoexistenceIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String RECORDING = "portagent ";
    private static final String ALREADY = "portagent: already installed in this JVM; this ";

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void anApplicationWithItsOwnByteBuddyAndJacksonWorksUnchanged(Jdk jdk) {
        jdk.assumePresent();
        Path report = dir.resolve("ports.json");
        List<Path> classpath = new ArrayList<>(List.of(ChildJvm.testClasspath()));
        classpath.addAll(ChildJvm.libs("byte-buddy-1.14.19", "jackson-databind-2.15.4", "jackson-core-2.15.4",
                "jackson-annotations-2.15.4"));
        int port;
        try (ChildJvm child = ChildJvm.on(jdk).agent("report=" + report).classpath(classpath)
                .mainClass(HarmOwnByteBuddy.class).start()) {
            port = Integer.parseInt(child.awaitLine("^JSON \\{\"greeting\":\"hello from a generated class\",\"port\":(\\d+)}$",
                    TIMEOUT).group(1));

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
            assertThat(child.stdout().lines()).as(child::describe).containsExactly(
                    "JSON {\"greeting\":\"hello from a generated class\",\"port\":" + port + "}",
                    "READ hello from a generated class",
                    "BYTEBUDDY byte-buddy-1.14.19.jar",
                    "JACKSON jackson-databind-2.15.4.jar 2.15.4");
            assertThat(child.stderr()).as(child::describe).isEmpty();
        }
        assertThat(Reports.socket(Reports.read(report), "tcp", "listen", port)).hasValueSatisfying(listener ->
                assertThat(listener.get("site").asText()).startsWith(HarmOwnByteBuddy.class.getName() + ".main("));
    }

    static Stream<Arguments> otelOrders() {
        return EveryJdk.times(List.of(true, false));
    }

    /**
     * With the OpenTelemetry agent loaded before or after ours, its instrumentation of the JDK's HTTP
     * client still puts a W3C traceparent header on the request (what proves it works), and ours
     * records the server's port and the client's connection to it. OpenTelemetry exports nothing, and
     * instruments only the HTTP client: the rest of its instrumentations would only slow the test.
     */
    @ParameterizedTest(name = "{0} OpenTelemetry first: {1}")
    @MethodSource("otelOrders")
    void theOpenTelemetryAgentAndPortagentBothWorkInEitherOrder(Jdk jdk, boolean otelFirst) {
        jdk.assumePresent();
        Path report = dir.resolve("ports.json");
        String otel = "-javaagent:" + ChildJvm.libs("opentelemetry-javaagent-").get(0);
        String portagent = "-javaagent:" + ChildJvm.agentJar() + "=report=" + report;
        int port;
        try (ChildJvm child = ChildJvm.on(jdk)
                .jvmArgs("-Dotel.traces.exporter=none", "-Dotel.metrics.exporter=none", "-Dotel.logs.exporter=none",
                        "-Dotel.instrumentation.common.default-enabled=false",
                        "-Dotel.instrumentation.java-http-client.enabled=true")
                .jvmArgs(otelFirst ? otel : portagent, otelFirst ? portagent : otel)
                .classpath(ChildJvm.testClasspath()).mainClass(HarmOtelHttp.class).start()) {
            port = Integer.parseInt(child.awaitLine("^PORT (\\d+)$", TIMEOUT).group(1));

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
            assertThat(child.stdout()).as(child::describe).contains("STATUS 200\n")
                    .containsPattern("TRACEPARENT 00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}\n");
            assertThat(child.stderr()).as(child::describe).doesNotContain("portagent:");
        }
        JsonNode written = Reports.read(report);
        assertThat(Reports.socket(written, "tcp", "listen", port)).as("%s", written).isPresent();
        assertThat(Reports.sockets(written)).as("the client's connection to %d", port).anySatisfy(s -> {
            assertThat(s.get("role").asText()).isEqualTo("connect");
            assertThat(s.get("remotePort").asInt()).isEqualTo(port);
        });
        assertThat(Reports.warningTypes(written)).doesNotContain("AGENT_ERROR");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void twoJavaagentFlagsInstallOnceAndVerboseSaysSo(Jdk jdk) {
        jdk.assumePresent();
        Path report = dir.resolve("ports.json");
        try (ChildJvm child = ChildJvm.on(jdk)
                .jvmArgs("-javaagent:" + ChildJvm.agentJar() + "=verbose=true,report=" + report)
                .agent("verbose=true").classpath(ChildJvm.testClasspath())
                .mainClass(HarmExits.class).args("return").start()) {

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
            assertThat(verboseLinesAboutLoading(child)).as(child::describe).satisfiesExactly(
                    first -> assertThat(first).startsWith(RECORDING).contains("recording ports"),
                    second -> assertThat(second).isEqualTo(ALREADY + "-javaagent changes nothing"));
        }
        assertSingleListenerRecordedOnce(report);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void anAttachAfterJavaagentInstallsNothingMoreAndVerboseSaysSo(Jdk jdk) throws Exception {
        jdk.assumePresent();
        Path report = dir.resolve("ports.json");
        ChildJvm.Builder builder = ChildJvm.on(jdk).agent("verbose=true,report=" + report);
        if (jdk.feature() >= 21) {
            builder.jvmArgs("-XX:+EnableDynamicAgentLoading"); // else 21+ warns about the attach on stderr
        }
        try (ChildJvm child = builder.classpath(ChildJvm.testClasspath()).mainClass(HarmExits.class)
                .args("wait", "return").start()) {
            child.awaitLine("^PORT \\d+$", TIMEOUT);

            VirtualMachine vm = VirtualMachine.attach(Long.toString(child.pid()));
            try {
                vm.loadAgent(ChildJvm.agentJar().toString(), "verbose=true");
            } finally {
                vm.detach();
            }
            await("the attached agent's line").atMost(TIMEOUT)
                    .until(() -> child.stderr().contains(ALREADY + "attach changes nothing"));
            child.send("end");

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
            assertThat(verboseLinesAboutLoading(child)).as(child::describe).satisfiesExactly(
                    first -> assertThat(first).startsWith(RECORDING).contains("recording ports"),
                    second -> assertThat(second).isEqualTo(ALREADY + "attach changes nothing"));
        }
        assertSingleListenerRecordedOnce(report);
    }

    private static void assertSingleListenerRecordedOnce(Path report) {
        JsonNode written = Reports.read(report);
        assertThat(Reports.summary(written, "binds")).as("%s", written).isEqualTo(1);
        assertThat(Reports.sockets(written)).hasSize(1);
    }

    /** verbose also says when the hooks are in place and the MBean registered; those lines are not about loading twice. */
    private static java.util.stream.Stream<String> verboseLinesAboutLoading(ChildJvm child) {
        return child.stderr().lines().filter(line -> !line.contains("MBean dev.portagent:type=Ports registered")
                && !line.startsWith("portagent: hooks in place"));
    }
}
