package dev.portagent.e2e.harm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.ClassLog;
import dev.portagent.e2e.Jdk;
import dev.portagent.e2e.SocketsAssert;
import dev.portagent.e2e.apps.HarmEverySocket;
import dev.portagent.e2e.apps.HarmIdle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Whatever goes wrong inside the agent stays there, and the agent adds no socket of its own. */
class DoNoHarmIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    static Stream<Arguments> failures() {
        return EveryJdk.times(List.of("exception", "error"));
    }

    /** The test hook makes every recorder call throw (an IllegalStateException, or an OutOfMemoryError). */
    @ParameterizedTest(name = "{0} recorder throws {1}")
    @MethodSource("failures")
    void aRecorderThatAlwaysFailsChangesNothingForTheApplication(Jdk jdk, String failure) {
        jdk.assumePresent();
        Path report = dir.resolve("ports.json");
        try (ChildJvm child = ChildJvm.on(jdk).jvmArgs("-Dportagent.testHook.failRecorder=" + failure)
                .agent("report=" + report).classpath(ChildJvm.testClasspath())
                .mainClass(HarmEverySocket.class).start()) {

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
            assertThat(child.stdout().lines()).as(child::describe).containsExactlyElementsOf(HarmEverySocket.EXPECTED);
            assertThat(child.stderr()).as(child::describe).isEmpty();
        }
        JsonNode written = Reports.read(report);
        assertThat(Reports.warningTypes(written)).as("the hooks ran and failed: %s", written.get("warnings"))
                .containsExactly("AGENT_ERROR");
        // The hooks recorded nothing. A /proc scan that ran while the application's sockets were open (the
        // one at start-up runs beside main) reports them as it should: sockets no hook saw.
        assertThat(Reports.sockets(written)).as("records the hooks made")
                .noneMatch(s -> s.get("origin").asText().equals("agent"));
    }

    /**
     * The agent with everything that could open a socket switched on (periodic reports, verbose, the
     * JMX option at its default) beside an application that opens none. No INET socket, no listening
     * socket of any family. The one socket the agent's JVM may hold beyond the plain JVM's is the JDK's
     * own: the first NIO file channel (the agent reads /proc at start-up) makes sun.nio.ch keep one end
     * of an anonymous unix socketpair as the target of its preClose dup2. Any application that reads a
     * file through java.nio.file holds it too.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void theAgentOpensNoSocketOfItsOwn(Jdk jdk) throws IOException {
        jdk.assumePresent();
        Path report = dir.resolve("ports.json");
        List<String> without;
        try (ChildJvm child = ChildJvm.on(jdk).classpath(ChildJvm.testClasspath()).mainClass(HarmIdle.class).start()) {
            child.awaitLine("^READY$", TIMEOUT);
            without = socketInodes(child.pid());
            assertThat(SocketsAssert.portsOf(child.pid())).isEmpty();
        }
        try (ChildJvm child = ChildJvm.on(jdk).agent("report=" + report + ",reportInterval=1,verbose=true")
                .classpath(ChildJvm.testClasspath()).mainClass(HarmIdle.class).start()) {
            child.awaitLine("^READY$", TIMEOUT);
            // A periodic report on disk: the scheduler, the digester and the writer have all run.
            Reports.awaitReport(report, TIMEOUT, r -> r.get("reason").asText().equals("interval"));

            assertThat(SocketsAssert.portsOf(child.pid())).as(child::describe).isEmpty();
            List<String> with = socketInodes(child.pid());
            Map<String, String[]> unix = unixSockets(child.pid());
            assertThat(with).as("the sockets of pid %d, of which unix: %s", child.pid(), unix.keySet())
                    .hasSizeLessThanOrEqualTo(without.size() + 1)
                    .allSatisfy(inode -> {
                        assertThat(unix).as("a unix socket, not netlink or another family").containsKey(inode);
                        String[] fields = unix.get(inode);
                        assertThat(Integer.parseInt(fields[3], 16) & SO_ACCEPTCON).as("listening").isZero();
                        assertThat(fields.length).as("bound to a path: %s", String.join(" ", fields)).isEqualTo(7);
                    });
        }
    }

    /**
     * premain only adds the transformer; the hooks are put in place afterwards, on the agent's thread unless
     * a thread loads a socket class first, and a thread that loads one meanwhile waits for them inside the
     * JVM's class loading. That is safe only while putting them in place loads no socket class itself. (The JDK
     * may load one later for its own reasons: JDK 25's file streams load SocketChannelImpl, and the MBean
     * server reads a file.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void theHooksArePutInPlaceWithoutLoadingASocketClass(Jdk jdk) throws IOException {
        jdk.assumePresent();
        Path classLog = dir.resolve("classes.log");
        try (ChildJvm child = ChildJvm.on(jdk).jvmArgs("-Xlog:class+load=info:file=" + classLog + ":tid")
                .agent("verbose=true").classpath(ChildJvm.testClasspath()).mainClass(HarmIdle.class).start()) {
            child.awaitLine("^READY$", TIMEOUT);
            await("the hooks in place").atMost(TIMEOUT).until(() -> child.stderr().contains("hooks in place"));
            child.send("end");

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
            assertThat(child.stderr()).as(child::describe).doesNotContain("internal error");
        }
        List<String> lines = Files.readAllLines(classLog);
        int from = ClassLog.indexOf(lines, "dev.portagent.instrument.BootstrapInjector");
        int to = ClassLog.indexOf(lines, "dev.portagent.Installation$Installed");
        String thread = lines.get(from).substring(0, lines.get(from).indexOf(']') + 1);
        assertThat(lines.subList(from, to + 1)).as("classes loaded while the hooks were put in place")
                .filteredOn(line -> line.startsWith(thread)).hasSizeGreaterThan(10)
                .noneMatch(line -> line.matches(".*\\] sun\\.nio\\.ch\\.(Net|\\w*Socket\\w*|\\w*Datagram\\w*|UnixDispatcher) source: .*"));
    }

    /** The listening flag in the Flags column of /proc/net/unix. */
    private static final int SO_ACCEPTCON = 0x10000;

    /** The inodes of the process's socket fds ("socket:[inode]"), whatever their family. */
    private static List<String> socketInodes(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.flatMap(fd -> {
                try {
                    return Stream.of(Files.readSymbolicLink(fd).toString());
                } catch (IOException closedMeanwhile) {
                    return Stream.empty();
                }
            }).filter(target -> target.startsWith("socket:[")).map(t -> t.substring(8, t.length() - 1)).toList();
        }
    }

    /** Unix sockets of the process's network namespace by inode: Num RefCount Protocol Flags Type St Inode [Path]. */
    private static Map<String, String[]> unixSockets(long pid) throws IOException {
        Map<String, String[]> byInode = new HashMap<>();
        List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", "unix"));
        for (String line : lines.subList(1, lines.size())) {
            String[] fields = line.trim().split("\\s+");
            byInode.put(fields[6], fields);
        }
        return byInode;
    }
}
