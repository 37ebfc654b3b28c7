package dev.portagent.e2e.harm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.Jdk;
import dev.portagent.e2e.apps.HarmExits;
import dev.portagent.options.AgentOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a user sees of bad options and unwritable report paths: one clear line, and an application
 * that runs and exits exactly as it would without the agent. The parser itself is covered row by row
 * in AgentOptionsTest; here each kind of mistake is made once, in a real JVM.
 */
class OptionsIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final String NOT_INSTALLED = " (portagent is not installed; the application runs without it)";
    private static final int APP_EXIT = 7;

    @TempDir
    Path dir;

    /**
     * A mistake: how it is made (agent arguments with the report path, extra JVM arguments, environment
     * variables) and the line it earns.
     */
    record Mistake(String name, Function<Path, String> agentArgs, List<String> jvmArgs, Map<String, String> env,
                   String line) {
        Mistake(String name, Function<Path, String> agentArgs, List<String> jvmArgs, String line) {
            this(name, agentArgs, jvmArgs, Map.of(), line);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> mistakes() {
        List<Mistake> mistakes = List.of(
                new Mistake("unknown key", report -> "report=" + report + ",colour=blue", List.of(),
                        "portagent: unknown option colour=blue: known options are report, reportInterval, stack,"
                                + " stackRate, reconcile, history, accepted, warnAt, notify, jmx, maxRows, verbose, format, summary, cache, help"),
                new Mistake("malformed pair", report -> "report=" + report + ",stack", List.of(),
                        "portagent: agent argument \"stack\" is not valid: expected key=value pairs separated by"
                                + " commas, e.g. report=ports.json,stack=16"),
                new Mistake("out of range", report -> "report=" + report + ",warnAt=101", List.of(),
                        "portagent: option warnAt=101 is not valid: expected a whole number from 1 to 100"),
                new Mistake("duplicate key", report -> "stack=8,report=" + report + ",stack=9", List.of(),
                        "portagent: option stack=9 is not valid: stack is already given as stack=8;"
                                + " give each option once"),
                new Mistake("bad system property", report -> "report=" + report, List.of("-Dportagent.history=lots"),
                        "portagent: option history=lots is not valid: expected a whole number from 0 to 10000000"
                                + " (from system property portagent.history)"),
                // The environment is where a container's or a service manager's settings come from, so the
                // line must name the variable: the command line shows no option at all.
                new Mistake("bad environment variable", report -> "report=" + report, List.of(),
                        Map.of("PORTAGENT_STACK", "lots"),
                        "portagent: option stack=lots is not valid: expected a whole number from 0 to 1024"
                                + " (0 turns stack capture off) (from environment variable PORTAGENT_STACK)"),
                new Mistake("bad underscored environment variable", report -> "report=" + report, List.of(),
                        Map.of("PORTAGENT_REPORT_INTERVAL", "-1"),
                        "portagent: option reportInterval=-1 is not valid: expected a whole number from 0 to 86400"
                                + " (0 turns periodic reports off) (from environment variable PORTAGENT_REPORT_INTERVAL)"));
        return EveryJdk.times(mistakes);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("mistakes")
    void aBadOptionIsOneLineAndTheApplicationRunsWithoutTheAgent(Jdk jdk, Mistake mistake) {
        jdk.assumePresent();
        Path report = dir.resolve("ports.json");
        try (ChildJvm child = exitingApp(jdk, mistake.agentArgs().apply(report))
                .jvmArgs(mistake.jvmArgs().toArray(String[]::new)).env(mistake.env()).start()) {

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isEqualTo(APP_EXIT);
            assertThat(child.stdout()).as(child::describe).startsWith("PORT ");
            assertThat(child.stderr()).as(child::describe).isEqualTo(mistake.line() + NOT_INSTALLED + "\n");
            assertThat(report).as("no report: the agent was not installed").doesNotExist();
        }
    }

    /** Options from the environment, and the options the report says were in force because of them. */
    record Environment(String name, Function<Path, String> agentArgs, Function<Path, Map<String, String>> env,
                       Map<String, String> effective) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> environments() {
        List<Environment> environments = List.of(
                new Environment("good values", report -> null,
                        report -> Map.of("PORTAGENT_REPORT", report.toString(), "PORTAGENT_STACK", "0",
                                "PORTAGENT_WARN_AT", "50"),
                        Map.of("stack", "0", "warnAt", "50")),
                // Only the value in force is checked: a stale variable that an agent argument overrides is no mistake.
                new Environment("a bad value overridden by an agent argument", report -> "report=" + report + ",stack=0",
                        report -> Map.of("PORTAGENT_STACK", "lots"), Map.of("stack", "0")));
        return EveryJdk.times(environments);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("environments")
    void optionsFromTheEnvironmentAreHonoured(Jdk jdk, Environment environment) {
        jdk.assumePresent();
        Path report = dir.resolve("ports.json");
        int port;
        try (ChildJvm child = exitingApp(jdk, environment.agentArgs().apply(report))
                .env(environment.env().apply(report)).start()) {
            port = Integer.parseInt(child.awaitLine("^PORT (\\d+)$", TIMEOUT).group(1));

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isEqualTo(APP_EXIT);
            assertThat(child.stderr()).as(child::describe).isEmpty();
        }
        JsonNode written = Reports.read(report);
        JsonNode options = written.path("agent").path("options");
        environment.effective().forEach((key, value) -> assertThat(options.path(key).asText()).as(key).isEqualTo(value));
        // stack=0 is what users set to keep the report small: no frames at all, not just fewer
        JsonNode listener = Reports.socket(written, "tcp", "listen", port).orElseThrow(
                () -> new AssertionError("no listener on " + port + " in " + written));
        assertThat(listener.path("stack").toString()).as("%s", listener).isEqualTo("[]");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void helpPrintsEveryOptionOnStderrAndTheApplicationRunsOn(Jdk jdk) {
        jdk.assumePresent();
        try (ChildJvm child = exitingApp(jdk, "help").start()) {

            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isEqualTo(APP_EXIT);
            assertThat(child.stdout()).startsWith("PORT ");
            assertThat(child.stderr()).isEqualTo(AgentOptions.helpText());
            List<String> lines = child.stderr().lines().toList();
            AgentOptions.defaults().effective().keySet().forEach(key ->
                    assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("  " + key + " ")));
        }
    }

    /** A report path that cannot be written, and what the agent says is wrong with it. */
    record BadPath(String name, Function<Path, Path> report, String problem) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> badPaths() {
        List<BadPath> paths = List.of(
                new BadPath("missing directory", dir -> dir.resolve("missing/ports.json"),
                        "directory {dir}/missing does not exist"),
                new BadPath("a directory", dir -> dir, "{dir} is a directory"),
                // Tests run as root, who may write anywhere that file modes forbid; /proc refuses even root.
                new BadPath("under /proc", dir -> Path.of("/proc/ports.json"),
                        "cannot create a file in directory /proc (NoSuchFileException)"));
        return EveryJdk.times(paths);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("badPaths")
    void anUnwritableReportIsSaidAtStartAndAtExitAndTheExitCodeIsTheApplications(Jdk jdk, BadPath bad) {
        jdk.assumePresent();
        Path report = bad.report().apply(dir);
        String problem = bad.problem().replace("{dir}", dir.toString());
        try (ChildJvm child = ChildJvm.on(jdk).agent("report=" + report).classpath(ChildJvm.testClasspath())
                .mainClass(HarmExits.class).args("wait", "exit", Integer.toString(APP_EXIT)).start()) {

            assertSaidAtStartThenAtExit(child, report, problem);
        }
    }

    /**
     * Root ignores file modes, so the plain "no permission" case runs the child as nobody through
     * setpriv (which execs java in its place), on a directory of mode 0555.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void aDirectoryWithoutWritePermissionForANonRootUser(Jdk jdk) throws IOException {
        jdk.assumePresent();
        String[] asNobody = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
        Path readOnly = Files.createDirectory(dir.resolve("read-only"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
        assumeCanRun(asNobody, ChildJvm.agentJar(), ChildJvm.testClasspath(), readOnly);
        Path report = readOnly.resolve("ports.json");
        try (ChildJvm child = ChildJvm.on(jdk).launcher(asNobody).agent("report=" + report)
                .classpath(ChildJvm.testClasspath()).mainClass(HarmExits.class)
                .args("wait", "exit", Integer.toString(APP_EXIT)).start()) {

            assertSaidAtStartThenAtExit(child, report, "directory " + readOnly + " is not writable");
        }
    }

    /** HarmExits, which says its port and exits with APP_EXIT, with the agent given these options (or none). */
    private static ChildJvm.Builder exitingApp(Jdk jdk, String agentArgs) {
        return ChildJvm.on(jdk).agent(agentArgs).classpath(ChildJvm.testClasspath()).mainClass(HarmExits.class)
                .args("exit", Integer.toString(APP_EXIT));
    }

    private static void assertSaidAtStartThenAtExit(ChildJvm child, Path report, String problem) {
        String atStart = "portagent: report=" + report + " cannot be written: " + problem
                + "; recording anyway, and trying again at exit";
        child.awaitLine("^PORT \\d+$", TIMEOUT);
        // The agent's start thread prints it as main begins; the reader thread may not have passed it on yet
        await("the start-up line").atMost(TIMEOUT).until(() -> child.stderr().contains(atStart));
        assertThat(child.stderr()).as(child::describe).isEqualTo(atStart + "\n");

        child.send("end");

        assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isEqualTo(APP_EXIT);
        assertThat(child.stderr()).as(child::describe).isEqualTo(atStart + "\n"
                + "portagent: cannot write the report to " + report + ": " + problem + "\n");
    }

    /** Skips, saying why, when the non-root user cannot be had or cannot read what the child needs. */
    private static void assumeCanRun(String[] asUser, Path... paths) {
        List<String> command = new ArrayList<>(List.of(asUser));
        command.addAll(List.of("sh", "-c", "for p; do test -r \"$p\" || exit 1; done", "sh"));
        Stream.of(paths).map(Path::toString).forEach(command::add);
        ChildJvm.Ended probe;
        try {
            probe = ChildJvm.run(TIMEOUT, command.toArray(String[]::new));
        } catch (UncheckedIOException e) {
            Assumptions.abort("skipped: cannot run a child as another user (" + e.getCause().getMessage() + ")");
            return;
        }
        Assumptions.assumeTrue(probe.exit() == 0, () -> "skipped: user nobody cannot read "
                + List.of(paths) + " through " + List.of(asUser) + ": " + probe.stdout() + probe.stderr());
    }
}
