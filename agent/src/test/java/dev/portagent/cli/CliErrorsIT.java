package dev.portagent.cli;

import static dev.portagent.cli.Cli.TIMEOUT;
import static dev.portagent.cli.Cli.app;
import static dev.portagent.cli.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.cli.apps.HoldingApp;
import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.ChildJvm.Ended;
import dev.portagent.e2e.Jdk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    private static final String JDKS = "dev.portagent.e2e.Jdks#all";
    private static final String READY = "^ready pid=(\\d+) ";

    @TempDir
    Path dir;

    @Test
    void noSuchProcess() throws Exception {
        for (String command : List.of("attach", "ports", "report")) {
            long pid = unusedPid();
            Ended result = cli(Jdk.current(), command, Long.toString(pid));
            for (int retry = 0; retry < 3 && !result.stderr().startsWith("portagent: no process"); retry++) {
                // pid_max is 32768 here: after a long run the kernel wraps and may give the free pid to a new
                // JVM before the CLI looks (seen once: "JVM 32767 does not answer"). Another free pid then;
                // a CLI that is wrong about a free pid is wrong all four times.
                pid = unusedPid();
                result = cli(Jdk.current(), command, Long.toString(pid));
            }
            assertThat(result.exit()).as(result.toString()).isEqualTo(2);
            assertThat(result.stderr()).isEqualTo("portagent: no process with pid " + pid + "\n");
            assertThat(result.stdout()).isEmpty();
        }
    }

    /** Its libraries come in through the jar's Launcher-Agent-Class, which only java -jar runs. */
    @Test
    void runOtherwiseThanAsJavaJarItSaysHow() throws Exception {
        Path report = Files.writeString(dir.resolve("report.json"), "{}");
        Ended result = ChildJvm.on(Jdk.current()).classpath(ChildJvm.agentJar()).mainClass("dev.portagent.cli.Main")
                .args("show", report.toString()).run(TIMEOUT);

        assertThat(result.exit()).as(result.toString()).isEqualTo(2);
        assertThat(result.stderr()).matches("portagent: its libraries are not loaded \\(dev\\.portagent\\.shaded\\.[\\w.$]+\\):"
                + " run it as java -jar portagent.jar\n");
        assertThat(result.stdout()).isEmpty();
    }

    @Test
    void notAJvm() {
        try (ChildJvm sleep = ChildJvm.process("sleep", "600")) {
            Ended result = cli(Jdk.current(), "attach", Long.toString(sleep.pid()));

            assertThat(result.exit()).as(result.toString()).isEqualTo(2);
            assertThat(result.stderr()).isEqualTo("portagent: process " + sleep.pid()
                    + " is not a Java virtual machine: sleep 600\n");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(JDKS)
    void attachDisabled(Jdk jdk) throws Exception {
        refusedForAFlag(jdk, "-XX:+DisableAttachMechanism", pid -> "portagent: JVM " + pid + " was started with"
                + " -XX:+DisableAttachMechanism, so no tool can attach to it; start it with -javaagent:"
                + ChildJvm.agentJar() + " instead\n");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(JDKS)
    void dynamicAgentLoadingDisabled(Jdk jdk) throws Exception {
        refusedForAFlag(jdk, "-XX:-EnableDynamicAgentLoading", pid -> "portagent: JVM " + pid + " was started with"
                + " -XX:-EnableDynamicAgentLoading, which forbids loading an agent into it while it runs;"
                + " start it with -javaagent:" + ChildJvm.agentJar() + " instead, or without that flag\n");
    }

    /**
     * On the command line /proc shows the flag before any attempt; in an @argfile it does not, and the
     * message must come from the attach API's own answer.
     */
    private void refusedForAFlag(Jdk jdk, String flag, LongFunction<String> message) throws Exception {
        jdk.assumePresent();
        Path argfile = Files.writeString(dir.resolve("args"), flag + "\n");
        try (ChildJvm visible = app(jdk, HoldingApp.class).jvmArgs(flag).start();
             ChildJvm hidden = app(jdk, HoldingApp.class).jvmArgs("@" + argfile).start()) {
            visible.nextLine(READY, TIMEOUT);
            hidden.nextLine(READY, TIMEOUT);
            for (ChildJvm app : List.of(visible, hidden)) {
                Ended result = cli(jdk, "attach", Long.toString(app.pid()));

                assertThat(result.exit()).as(result.toString()).isEqualTo(2);
                assertThat(result.stderr()).isEqualTo(message.apply(app.pid()));
                app.send("exit");
                app.awaitExit(TIMEOUT);
                assertThat(app.stderr()).as("the JVM ran on untouched").isEmpty();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(JDKS)
    void badOptionsAreRefusedBeforeAttachingWithTheAgentsMessage(Jdk jdk) {
        jdk.assumePresent();
        try (ChildJvm app = app(jdk, HoldingApp.class).start();
             ChildJvm withBadEnvironment = app(jdk, HoldingApp.class).env("PORTAGENT_STACK", "abc").start()) {
            app.nextLine(READY, TIMEOUT);
            withBadEnvironment.nextLine(READY, TIMEOUT);

            Ended bad = cli(jdk, "attach", Long.toString(app.pid()), "stack=abc");
            Ended badThere = cli(jdk, "attach", Long.toString(withBadEnvironment.pid()));

            assertThat(bad.exit()).as(bad.toString()).isEqualTo(2);
            assertThat(bad.stderr()).isEqualTo("portagent: option stack=abc is not valid: expected a whole number from"
                    + " 0 to 1024 (0 turns stack capture off)\n");
            assertThat(badThere.exit()).as(badThere.toString()).isEqualTo(2);
            assertThat(badThere.stderr()).isEqualTo("portagent: option stack=abc is not valid: expected a whole number"
                    + " from 0 to 1024 (0 turns stack capture off) (from environment variable PORTAGENT_STACK)\n");
            assertThat(Processes.holdsPortagentJar(app.pid())).as("nothing loaded").isFalse();
            assertThat(Processes.holdsPortagentJar(withBadEnvironment.pid())).as("nothing loaded").isFalse();
        }
    }

    /** Needs root, to create two users: one runs the JVM, the other tries to attach to it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource(JDKS)
    void aJvmOfAnotherUser(Jdk jdk) {
        jdk.assumePresent();
        Assumptions.assumeTrue(Processes.selfUid() == 0, "skipped: not root, cannot run JVMs as other users");
        Assumptions.assumeTrue(user("pa-alice") && user("pa-bob"), "skipped: useradd failed");
        try (ChildJvm app = app(jdk, HoldingApp.class).launcher("runuser", "-u", "pa-alice", "--").start()) {
            // runuser waits for java rather than exec it: the JVM's pid is the one it prints
            long pid = Long.parseLong(app.nextLine(READY, TIMEOUT).group(1));
            try {
                Ended bob = ChildJvm.on(jdk).launcher("runuser", "-u", "pa-bob", "--").jar(ChildJvm.agentJar())
                        .args("attach", Long.toString(pid)).run(TIMEOUT);
                Ended root = cli(jdk, "attach", Long.toString(pid));

                assertThat(bob.exit()).as(bob.toString()).isEqualTo(2);
                assertThat(bob.stderr()).isEqualTo("portagent: JVM " + pid + " runs as user pa-alice, and only that user"
                        + " or root may attach to it: run this command as pa-alice (sudo -u pa-alice ...) or as root\n");
                assertThat(root.exit()).as(root.toString()).isZero();
                assertThat(root.stdout()).contains("is recording in JVM " + pid);
            } finally {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
        }
    }

    private static boolean user(String name) {
        return ChildJvm.run(TIMEOUT, "id", name).exit() == 0
                || ChildJvm.run(TIMEOUT, "useradd", "-M", "-s", "/usr/sbin/nologin", name).exit() == 0;
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
