package dev.portagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portagent.e2e.SocketsAssert.Port;
import dev.portagent.e2e.apps.EndsAtOnce;
import dev.portagent.e2e.apps.Quiet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * However the JVM ends, the report is written, and the agent never prints a line of its own: not on
 * stdout, not on stderr, not through the JVM (JDK 17 warns about CDS when the boot class path is
 * appended to).
 */
class ExitIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(1);

    enum Ending {
        RETURN_FROM_MAIN(0) {
            @Override
            void apply(ChildJvm child) {
                child.send("exit");
            }
        },
        SIGTERM(128 + 15) {
            @Override
            void apply(ChildJvm child) {
                child.signal(ChildJvm.Signal.TERM);
            }
        },
        SIGINT(128 + 2) {
            @Override
            void apply(ChildJvm child) {
                child.signal(ChildJvm.Signal.INT);
            }
        };

        final int exitCode;

        Ending(int exitCode) {
            this.exitCode = exitCode;
        }

        abstract void apply(ChildJvm child);
    }

    static Stream<Arguments> jdksAndEndings() {
        return Jdks.all().flatMap(jdk -> Stream.of(Ending.values()).map(ending -> Arguments.of(jdk, ending)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("jdksAndEndings")
    void reportIsWrittenAndNothingIsPrinted(Jdk jdk, Ending ending, @TempDir Path dir) throws IOException {
        jdk.assumePresent();
        Path reportFile = dir.resolve("ports.json");
        Set<Port> held;
        try (ChildJvm child = ChildJvm.on(jdk).agent("report=" + reportFile).classpath(ChildJvm.testClasspath())
                .mainClass(Quiet.class).start()) {
            // The child says nothing, not even that it is ready: the kernel tells.
            await().atMost(TIMEOUT).until(() -> SocketsAssert.portsOf(child.pid()).size() == 2);
            held = SocketsAssert.portsOf(child.pid());

            ending.apply(child);

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isEqualTo(ending.exitCode);
            assertThat(child.stdout()).as("stdout").isEmpty();
            assertThat(child.stderr()).as("stderr").isEmpty();
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).as("the report and no temporary file").containsExactly(reportFile);
        }
        assertThat(Files.getPosixFilePermissions(reportFile)).as("stacks reveal internals: the owner's alone")
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        Report report = Report.read(reportFile);
        assertThat(report.json().path("reason").asText()).isEqualTo("exit");
        Set<Port> reported = new TreeSet<>();
        for (JsonNode s : report.open()) {
            reported.add(new Port(s.path("protocol").asText(), s.path("localPort").asInt()));
            assertThat(s.path("site").asText()).as("site of\n%s", Report.describe(s))
                    .startsWith(Quiet.class.getName() + ".main(Quiet.java:");
        }
        assertThat(reported).as("open in the report vs. held in /proc").isEqualTo(held);
        assertThat(report.closed()).isEmpty();
    }

    /**
     * The hooks are put in place after premain, on the agent's thread: a JVM that ends before that thread
     * has run them still leaves a report (the exit puts them in place itself), empty, and prints nothing.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void aJvmThatEndsAtOnceWithoutASocketLeavesAnEmptyReport(Jdk jdk, @TempDir Path dir) throws IOException {
        jdk.assumePresent();
        Path reportFile = dir.resolve("ports.json");
        Path classes = dir.resolve("classes.log");
        Path cacheHome = dir.resolve("cache-home");
        try (ChildJvm child = ChildJvm.on(jdk).env("XDG_CACHE_HOME", cacheHome.toString())
                .jvmArgs("-Xlog:class+load=info:file=" + classes).agent("report=" + reportFile)
                .classpath(ChildJvm.testClasspath()).mainClass(EndsAtOnce.class).start()) {

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
            assertThat(child.stdout()).as("stdout").isEmpty();
            assertThat(child.stderr()).as("stderr").isEmpty();
        }
        Report report = Report.read(reportFile);
        assertThat(report.json().path("reason").asText()).isEqualTo("exit");
        assertThat(report.open()).isEmpty();
        assertThat(report.closed()).isEmpty();
        // Writing the report weaves nothing (on 21+ a stream of Files loads SocketChannelImpl) and needs no library.
        assertThat(Files.readString(classes)).doesNotContain("sun.nio.ch.SocketChannelImpl ")
                .doesNotContain("dev.portagent.shaded.");
        assertThat(cacheHome).as("the cache, never touched").doesNotExist();
    }

    /**
     * A socket some native code opened before the hooks were in place, here JDWP's listener (its agent,
     * given first, listens before ours starts): the report of a JVM that ends at once lists it as from
     * before the agent, with the port JDWP says it listens on.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void aSocketFromBeforeTheAgentIsInTheReportOfAJvmThatEndsAtOnce(Jdk jdk, @TempDir Path dir) throws IOException {
        jdk.assumePresent();
        Path reportFile = dir.resolve("ports.json");
        int jdwp;
        try (ChildJvm child = ChildJvm.on(jdk)
                .jvmArgs("-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:0")
                .agent("report=" + reportFile).classpath(ChildJvm.testClasspath()).mainClass(EndsAtOnce.class).start()) {
            jdwp = Integer.parseInt(child.awaitLine("^Listening for transport dt_socket at address: (\\d+)$", TIMEOUT)
                    .group(1));

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
            assertThat(child.stderr()).as("stderr").isEmpty();
        }
        Report report = Report.read(reportFile);
        assertThat(report.open()).extracting(s -> s.path("protocol").asText(), s -> s.path("role").asText(),
                        s -> s.path("localPort").asInt(), s -> s.path("origin").asText())
                .containsExactly(tuple("tcp", "listen", jdwp, "before-agent"));
    }
}
