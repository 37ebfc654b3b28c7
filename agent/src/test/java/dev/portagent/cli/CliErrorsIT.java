package dev.portagent.cli;

import static dev.portagent.cli.CliHarness.JAR;
import static dev.portagent.cli.CliHarness.JDK_17;
import static dev.portagent.cli.CliHarness.assumeInstalled;
import static dev.portagent.cli.CliHarness.cli;
import static dev.portagent.cli.CliHarness.java;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.cli.CliHarness.Child;
import dev.portagent.cli.CliHarness.Result;
import dev.portagent.cli.apps.HoldingApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each reason attach can fail, provoked for real. A target older than Java 17 cannot be: no such JDK is
 * installed; LiveJvmTest checks that message on the version values such a JVM reports.
 */
class CliErrorsIT {

    private static final String JDKS = "dev.portagent.cli.CliHarness#jdks";

    @TempDir
    Path dir;

    @Test
    void noSuchProcess() throws Exception {
        long pid = unusedPid();
        for (String command : List.of("attach", "ports", "report")) {
            Result result = cli(JDK_17, command, Long.toString(pid));
            assertThat(result.exit()).as(result.toString()).isEqualTo(2);
            assertThat(result.err()).isEqualTo("portagent: no process with pid " + pid + "\n");
            assertThat(result.out()).isEmpty();
        }
    }

    @Test
    void notAJvm() throws Exception {
        try (Child sleep = Child.start(List.of("sleep", "600"))) {
            Result result = cli(JDK_17, "attach", Long.toString(sleep.pid()));

            assertThat(result.exit()).as(result.toString()).isEqualTo(2);
            assertThat(result.err()).isEqualTo("portagent: process " + sleep.pid()
                    + " is not a Java virtual machine: sleep 600\n");
        }
    }

    @ParameterizedTest
    @MethodSource(JDKS)
    void attachDisabled(Path jdk) throws Exception {
        refusedForAFlag(jdk, "-XX:+DisableAttachMechanism", pid -> "portagent: JVM " + pid + " was started with"
                + " -XX:+DisableAttachMechanism, so no tool can attach to it; start it with -javaagent:" + JAR
                + " instead\n");
    }

    @ParameterizedTest
    @MethodSource(JDKS)
    void dynamicAgentLoadingDisabled(Path jdk) throws Exception {
        refusedForAFlag(jdk, "-XX:-EnableDynamicAgentLoading", pid -> "portagent: JVM " + pid + " was started with"
                + " -XX:-EnableDynamicAgentLoading, which forbids loading an agent into it while it runs;"
                + " start it with -javaagent:" + JAR + " instead, or without that flag\n");
    }

    /**
     * On the command line /proc shows the flag before any attempt; in an @argfile it does not, and the
     * message must come from the attach API's own answer.
     */
    private void refusedForAFlag(Path jdk, String flag, LongFunction<String> message) throws Exception {
        assumeInstalled(jdk);
        Path argfile = Files.writeString(dir.resolve("args"), flag + "\n");
        try (Child visible = Child.jvm(jdk, List.of(flag), HoldingApp.class);
             Child hidden = Child.jvm(jdk, List.of("@" + argfile), HoldingApp.class)) {
            visible.expect("ready");
            hidden.expect("ready");
            for (Child app : List.of(visible, hidden)) {
                Result result = cli(jdk, "attach", Long.toString(app.pid()));

                assertThat(result.exit()).as(result.toString()).isEqualTo(2);
                assertThat(result.err()).isEqualTo(message.apply(app.pid()));
                app.send("exit");
                assertThat(app.awaitExit()).as("the JVM ran on untouched").isEmpty();
            }
        }
    }

    @ParameterizedTest
    @MethodSource(JDKS)
    void badOptionsAreRefusedBeforeAttachingWithTheAgentsMessage(Path jdk) throws Exception {
        assumeInstalled(jdk);
        try (Child app = Child.jvm(jdk, List.of(), HoldingApp.class);
             Child withBadEnvironment = Child.jvm(jdk, List.of(), HoldingApp.class, Map.of("PORTAGENT_STACK", "abc"))) {
            app.expect("ready");
            withBadEnvironment.expect("ready");

            Result bad = cli(jdk, "attach", Long.toString(app.pid()), "stack=abc");
            Result badThere = cli(jdk, "attach", Long.toString(withBadEnvironment.pid()));

            assertThat(bad.exit()).as(bad.toString()).isEqualTo(2);
            assertThat(bad.err()).isEqualTo("portagent: option stack=abc is not valid: expected a whole number from"
                    + " 0 to 1024 (0 turns stack capture off)\n");
            assertThat(badThere.exit()).as(badThere.toString()).isEqualTo(2);
            assertThat(badThere.err()).isEqualTo("portagent: option stack=abc is not valid: expected a whole number"
                    + " from 0 to 1024 (0 turns stack capture off) (from environment variable PORTAGENT_STACK)\n");
            assertThat(Processes.holdsPortagentJar(app.pid())).as("nothing loaded").isFalse();
            assertThat(Processes.holdsPortagentJar(withBadEnvironment.pid())).as("nothing loaded").isFalse();
        }
    }

    /** Needs root, to create two users: one runs the JVM, the other tries to attach to it. */
    @ParameterizedTest
    @MethodSource(JDKS)
    void aJvmOfAnotherUser(Path jdk) throws Exception {
        assumeInstalled(jdk);
        Assumptions.assumeTrue(Processes.selfUid() == 0, "skipped: not root, cannot run JVMs as other users");
        Assumptions.assumeTrue(user("pa-alice") && user("pa-bob"), "skipped: useradd failed");
        try (Child app = Child.start(List.of("runuser", "-u", "pa-alice", "--", java(jdk), "-cp",
                CliHarness.TEST_CLASSES.toString(), HoldingApp.class.getName()))) {
            long pid = Long.parseLong(Child.field(app.expect("ready"), "pid"));
            try {
                Result bob = CliHarness.run(List.of("runuser", "-u", "pa-bob", "--", java(jdk), "-jar", JAR.toString(),
                        "attach", Long.toString(pid)));
                Result root = cli(jdk, "attach", Long.toString(pid));

                assertThat(bob.exit()).as(bob.toString()).isEqualTo(2);
                assertThat(bob.err()).isEqualTo("portagent: JVM " + pid + " runs as user pa-alice, and only that user"
                        + " or root may attach to it: run this command as pa-alice (sudo -u pa-alice ...) or as root\n");
                assertThat(root.exit()).as(root.toString()).isZero();
                assertThat(root.out()).contains("is recording in JVM " + pid);
            } finally {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
        }
    }

    private static boolean user(String name) throws Exception {
        return CliHarness.run(List.of("id", name)).exit() == 0
                || CliHarness.run(List.of("useradd", "-M", "-s", "/usr/sbin/nologin", name)).exit() == 0;
    }

    private static long unusedPid() throws Exception {
        // Not Files.readString: it reads a /proc/sys file one byte first, and the sysctl answers the rest with EOF.
        long max;
        try (var in = Files.newInputStream(Path.of("/proc/sys/kernel/pid_max"))) {
            max = Long.parseLong(new String(in.readNBytes(32), java.nio.charset.StandardCharsets.US_ASCII).strip());
        }
        for (long pid = max - 1; pid > 1; pid--) {
            if (!Processes.exists(pid)) {
                return pid;
            }
        }
        throw new AssertionError("every pid is taken");
    }
}
