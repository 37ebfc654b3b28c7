package dev.portagent.e2e;

import static dev.portagent.e2e.SocketsAssert.Port.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portagent.e2e.ChildJvm.Signal;
import dev.portagent.e2e.apps.ReadyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.opentest4j.TestAbortedException;

/** Self-test of the end-to-end harness with plain child JVMs (no agent) and a shell. */
class ChildJvmTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void childListensAndExitsOnInput(Jdk jdk) {
        jdk.assumePresent();
        try (ChildJvm child = startReadyServer(jdk)) {
            int port = Integer.parseInt(child.awaitLine("^READY (\\d+)$", TIMEOUT).group(1));

            SocketsAssert.assertPortsOf(child.pid(), Set.of(tcp(port)));
            child.send("bye");

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isEqualTo(3);
            assertThat(child.stdout()).isEqualTo("READY " + port + "\nSHUTDOWN\n");
            assertThat(child.stderr()).contains("ERR " + port + "\n");
            assertThat(SocketsAssert.portsOf(child.pid())).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("jdksAndSignals")
    void signalRunsShutdownHooks(Jdk jdk, Signal signal, int exitCode) {
        jdk.assumePresent();
        try (ChildJvm child = startReadyServer(jdk)) {
            child.awaitLine(line -> line.startsWith("READY"), TIMEOUT);

            child.signal(signal);

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isEqualTo(exitCode);
            assertThat(child.stdout()).endsWith("SHUTDOWN\n");
        }
    }

    static Stream<Arguments> jdksAndSignals() {
        return Jdks.all().flatMap(jdk -> Stream.of(Arguments.of(jdk, Signal.TERM, 128 + 15),
                Arguments.of(jdk, Signal.INT, 128 + 2)));
    }

    @Test
    void awaitLineFailsWithOutputWhenChildExits() {
        try (ChildJvm child = ChildJvm.on(Jdk.current()).classpath(ChildJvm.testClasspath())
                .mainClass("no.such.Main").start()) {
            assertThatThrownBy(() -> child.awaitLine(line -> false, TIMEOUT))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("stdout ended")
                    .hasMessageContaining("exited 1")
                    .hasMessageContaining("no.such.Main");
        }
    }

    @Test
    void aChildThatMissesItsLineWhileRunningIsReportedWithItsThreads() {
        try (ChildJvm child = startReadyServer(Jdk.current())) {
            child.awaitLine("^READY", TIMEOUT);
            assertThatThrownBy(() -> child.awaitLine("^never printed$", Duration.ofMillis(200)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("(running)")
                    .hasMessageContaining("--- threads (jcmd Thread.print) ---")
                    .hasMessageContaining(ReadyServer.class.getName());
        }
    }

    @Test
    void nextLineTakesAnswersInTurnAndFailsOnOneOutOfTurn() {
        try (ChildJvm child = ChildJvm.process("sh", "-c", "echo 'answer 1'; echo 'answer 2'; echo other; read x")) {
            assertThat(child.nextLine("^answer (\\d+)$", TIMEOUT).group(1)).isEqualTo("1");
            assertThat(child.nextLine("^answer (\\d+)$", TIMEOUT).group(1)).isEqualTo("2");
            assertThatThrownBy(() -> child.nextLine("^answer", TIMEOUT)).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("the next stdout line is \"other\", not one matching ^answer");
        }
    }

    @Test
    void runKeepsTheExitCodeAndTheOutputToTheLastCharacter() {
        ChildJvm.Ended ended = ChildJvm.run(TIMEOUT, "sh", "-c", "printf 'one\\ntwo'; printf 'err\\n' >&2; exit 4");

        assertThat(ended.exit()).as(ended.toString()).isEqualTo(4);
        assertThat(ended.stdout()).isEqualTo("one\ntwo");
        assertThat(ended.stderr()).isEqualTo("err\n");
    }

    @Test
    void missingJdkIsSkippedWithReason() {
        Jdk missing = Jdk.at("temurin-25", Path.of("/nonexistent/jdk"), 25);

        assertThat(missing.present()).isFalse();
        assertThatThrownBy(missing::assumePresent).isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("skipped: no JDK 25 at /nonexistent/jdk");
    }

    @Test
    void presentJdksKnowTheirFeatureVersion() {
        assertThat(Jdks.all().filter(Jdk::present))
                .allSatisfy(jdk -> assertThat(jdk.javaExecutable()).isExecutable())
                .anySatisfy(jdk -> assertThat(jdk.feature()).isEqualTo(Runtime.version().feature()));
        assertThat(Jdks.all().filter(jdk -> jdk.home().equals(Jdks.TEMURIN_25)).filter(Jdk::present))
                .allSatisfy(jdk -> assertThat(jdk.feature()).isEqualTo(25));
    }

    @Test
    void libsPicksJarsByPrefix(@TempDir Path dir) throws Exception {
        for (String jar : new String[] {"netty-buffer-4.2.jar", "netty-common-4.2.jar", "jackson-core-2.15.4.jar"}) {
            Files.createFile(dir.resolve(jar));
        }

        assertThat(ChildJvm.libs(dir, "netty-", "netty-common")).extracting(p -> p.getFileName().toString())
                .containsExactly("netty-buffer-4.2.jar", "netty-common-4.2.jar");
        assertThatThrownBy(() -> ChildJvm.libs(dir, "byte-buddy")).hasMessageContaining("byte-buddy")
                .hasMessageContaining("jackson-core-2.15.4.jar");
    }

    @Test
    void diffNamesMissingAndUnexpectedPorts() {
        assertThat(SocketsAssert.diff(Set.of(tcp(80)), Set.of(tcp(80)))).isEmpty();
        assertThat(SocketsAssert.diff(Set.of(tcp(80), tcp(443)), Set.of(tcp(80), SocketsAssert.Port.udp(53))))
                .contains("missing:    [tcp/443]", "unexpected: [udp/53]");
    }

    @Test
    void minusCountsRepeats() {
        assertThat(SocketsAssert.minus(List.of("a", "a", "b"), List.of("a"))).containsExactly("a", "b");
        assertThat(SocketsAssert.minus(List.of("a"), List.of("a", "a"))).isEmpty();
    }

    private static ChildJvm startReadyServer(Jdk jdk) {
        return ChildJvm.on(jdk).classpath(ChildJvm.testClasspath()).mainClass(ReadyServer.class).start();
    }
}
