package dev.portagent.cli;

import static dev.portagent.cli.Cli.TIMEOUT;
import static dev.portagent.cli.Cli.app;
import static dev.portagent.cli.Cli.assumeMBean;
import static dev.portagent.cli.Cli.cli;
import static dev.portagent.cli.Cli.warnsOfDynamicAgents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.tools.attach.VirtualMachine;
import dev.portagent.cli.apps.HoldingApp;
import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.ChildJvm.Ended;
import dev.portagent.e2e.Jdk;
import dev.portagent.e2e.Report;
import dev.portagent.e2e.SocketsAssert;
import dev.portagent.registry.Reconciler;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.MatchResult;
import java.util.stream.Collectors;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The command line against real child JVMs on 17 and 25, checked against /proc. */
class CliIT {

    private static final String JDKS = "dev.portagent.e2e.Jdks#all";
    private static final String READY = "^ready pid=\\d+ tcp=(\\d+) udp=(\\d+)$";
    private static final String OPENED = "^opened tcp=(\\d+) site=(\\S+)$";

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource(JDKS)
    void attachRecordsEarlierSocketsAsBeforeAgentAndLaterOnesWithTheirLine(Jdk jdk) throws Exception {
        jdk.assumePresent();
        Path reportFile = dir.resolve("ports.json");
        try (ChildJvm app = app(jdk, HoldingApp.class).start()) {
            MatchResult ready = app.nextLine(READY, TIMEOUT);
            int tcp = Integer.parseInt(ready.group(1));
            int udp = Integer.parseInt(ready.group(2));

            // reconcile=0: only the passes at attach and at the exit report, so the closes below are found there.
            Ended attach = cli(jdk, "attach", Long.toString(app.pid()), "report=" + reportFile + ",reconcile=0");

            assertThat(attach.exit()).as(attach.toString()).isZero();
            assertThat(attach.stdout()).startsWith("portagent ").contains("is recording in JVM " + app.pid() + " ("
                    + HoldingApp.class.getName() + ")");
            assertThat(attach.stdout().contains("note: Java " + jdk.feature() + " printed a warning"))
                    .isEqualTo(warnsOfDynamicAgents(jdk));
            app.send("open");
            MatchResult opened = app.nextLine(OPENED, TIMEOUT);
            int fresh = Integer.parseInt(opened.group(1));
            String site = opened.group(2);
            app.send("close-before");
            app.nextLine("^closed$", TIMEOUT);
            Set<Tuple> held = SocketsAssert.heldBy(app.pid()).stream()
                    .map(s -> tuple(s.protocol(), s.localPort())).collect(Collectors.toSet());
            assertThat(held).containsExactlyInAnyOrder(tuple("udp", udp), tuple("tcp", fresh));
            app.send("exit");
            app.awaitExit(TIMEOUT);
            String stderr = app.stderr();

            // Nothing from portagent; on 25 only the JDK's own warning about a dynamically loaded agent.
            assertThat(Cli.notJdkWarnings(stderr)).isEmpty();
            assertThat(stderr.isEmpty()).isEqualTo(!warnsOfDynamicAgents(jdk));
            Report report = Report.read(reportFile);
            List<JsonNode> sockets = report.sockets();
            assertThat(report.open().stream().map(s -> tuple(s.path("protocol").asText(), s.path("localPort").asInt())))
                    .as("open in the report = held according to /proc; report: %s", report.json())
                    .containsExactlyInAnyOrderElementsOf(held);
            assertThat(sockets).filteredOn(s -> s.path("origin").asText().equals("before-agent"))
                    .extracting(s -> s.path("protocol").asText(), s -> s.path("localPort").asInt(),
                            s -> s.path("state").asText(), s -> s.path("site").asText(), s -> s.path("stack").size(),
                            s -> s.path("thread").isNull())
                    .containsExactlyInAnyOrder(
                            tuple("tcp", tcp, "closed", Reconciler.BEFORE_AGENT_SITE, 0, true),
                            tuple("udp", udp, "open", Reconciler.BEFORE_AGENT_SITE, 0, true));
            assertThat(sockets).filteredOn(s -> s.path("localPort").asInt() == fresh).singleElement().satisfies(s -> {
                assertThat(s.path("origin").asText()).isEqualTo("agent");
                assertThat(s.path("role").asText()).isEqualTo("listen");
                assertThat(s.path("site").asText()).isEqualTo(site);
                assertThat(s.path("thread").asText()).isEqualTo("main");
                assertThat(s.path("stack").toString()).contains(site);
            });
            assertThat(report.json().path("summary").path("origins").path("before-agent").asInt()).isEqualTo(1);

            Ended show = cli(jdk, "show", reportFile.toString());
            assertThat(show.exit()).as(show.toString()).isZero();
            assertThat(show.stdout()).contains(Reconciler.BEFORE_AGENT_SITE, site, "sites:");
            assertThat(show.stderr()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(JDKS)
    void listTellsWhichJvmsHavePortagentAndAttachInstallsOnce(Jdk jdk) throws Exception {
        jdk.assumePresent();
        try (ChildJvm started = app(jdk, HoldingApp.class).agent().start();
             ChildJvm attached = app(jdk, HoldingApp.class).start()) {
            started.nextLine(READY, TIMEOUT);
            attached.nextLine(READY, TIMEOUT);

            Ended list = cli(jdk, "list");
            Ended toStarted = cli(jdk, "attach", Long.toString(started.pid()), "stack=8");
            Ended first = cli(jdk, "attach", Long.toString(attached.pid()), "stack=8");
            Ended second = cli(jdk, "attach", Long.toString(attached.pid()));

            assertThat(list.exit()).as(list.toString()).isZero();
            assertThat(list.stdout().lines()).first().asString().matches("PID +USER +PORTAGENT +MAIN");
            assertThat(list.stdout().lines())
                    .anyMatch(l -> l.matches(started.pid() + " +root +yes +" + HoldingApp.class.getName()))
                    .anyMatch(l -> l.matches(attached.pid() + " +root +no +" + HoldingApp.class.getName()));
            assertThat(toStarted.exit()).as(toStarted.toString()).isZero();
            assertThat(toStarted.stdout()).contains("is already recording in JVM " + started.pid()
                    + " (loaded by -javaagent, options: defaults); nothing changed");
            assertThat(first.exit()).as(first.toString()).isZero();
            assertThat(second.exit()).as(second.toString()).isZero();
            assertThat(second.stdout()).contains("is already recording in JVM " + attached.pid()
                    + " (loaded by attach, options: stack=8); nothing changed");
            // Past the command line, straight through the attach API: the agent itself installs once.
            VirtualMachine vm = VirtualMachine.attach(Long.toString(started.pid()));
            try {
                vm.loadAgent(ChildJvm.agentJar().toString(), "verbose=true");
            } finally {
                vm.detach();
            }
            attached.send("exit");
            started.send("exit");
            attached.awaitExit(TIMEOUT);
            started.awaitExit(TIMEOUT);
            // The second attach loaded nothing: the JDK warns once per agent load.
            assertThat(attached.stderr().lines().filter(l -> l.startsWith("WARNING: A Java agent has been loaded")))
                    .hasSize(warnsOfDynamicAgents(jdk) ? 1 : 0);
            assertThat(Cli.notJdkWarnings(started.stderr()))
                    .containsExactly("portagent: already installed in this JVM; this attach changes nothing");
        }
    }

    /**
     * Before attach, who says that portagent is not loaded and how to load it. After, ports, who and report
     * read the MBean of issue 3: that part is skipped until it is registered in this build.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(JDKS)
    void whoBeforeAttachThenPortsWhoAndReportNameTheLineOfCode(Jdk jdk) throws Exception {
        jdk.assumePresent();
        try (ChildJvm app = app(jdk, HoldingApp.class).start()) {
            int tcp = Integer.parseInt(app.nextLine(READY, TIMEOUT).group(1));
            String pid = Long.toString(app.pid());
            Ended before = cli(jdk, "who", Integer.toString(tcp));
            assertThat(before.exit()).as(before.toString()).isZero();
            assertThat(before.stdout()).contains("pid " + pid + " (user root, a JVM): ", HoldingApp.class.getName(),
                    "tcp  LISTEN  [::]:" + tcp, "portagent is not loaded in this JVM", "attach " + pid);

            assertThat(cli(jdk, "attach", pid).exit()).isZero();
            app.send("open");
            MatchResult opened = app.nextLine(OPENED, TIMEOUT);
            int fresh = Integer.parseInt(opened.group(1));
            String site = opened.group(2);

            Ended ports = cli(jdk, "ports", pid);
            assumeMBean(ports);

            assertThat(ports.exit()).as(ports.toString()).isZero();
            assertThat(ports.stdout().lines()).anyMatch(l -> l.matches("tcp +\\[::]:" + fresh + " .* listen .* main +"
                    + java.util.regex.Pattern.quote(site)))
                    .anyMatch(l -> l.startsWith("tcp    [::]:" + tcp + " ") && l.endsWith(Reconciler.BEFORE_AGENT_SITE));
            Ended who = cli(jdk, "who", Integer.toString(fresh));
            assertThat(who.exit()).as(who.toString()).isZero();
            assertThat(who.stdout()).contains("pid " + pid + " (user root, a JVM)", "site: " + site, "stack: ");
            Path file = dir.resolve("live.json");
            Ended report = cli(jdk, "report", pid, file.toString());
            assertThat(report.exit()).as(report.toString()).isZero();
            assertThat(Report.read(file).json().path("schema").asText()).isEqualTo("portagent-report/1");
            Ended asJson = cli(jdk, "ports", pid, "--json");
            assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(asJson.stdout()).path("jvm").path("pid")
                    .asLong()).isEqualTo(app.pid());
        }
    }

    @Test
    void whoNamesANonJvmProcess() throws Exception {
        Assumptions.assumeTrue(ChildJvm.run(TIMEOUT, "python3", "-c", "pass").exit() == 0, "skipped: no python3");
        try (ChildJvm python = ChildJvm.process("python3", "-u", "-c", "import socket, sys\n"
                + "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
                + "print('ready port=%d' % s.getsockname()[1]); sys.stdin.readline()")) {
            String port = python.nextLine("^ready port=(\\d+)$", TIMEOUT).group(1);

            Ended who = cli(Jdk.current(), "who", port);
            Ended udp = cli(Jdk.current(), "who", "--udp", port);

            assertThat(who.exit()).as(who.toString()).isZero();
            // pyenv's python3 is a shim that execs the real one: the command line names its full path.
            assertThat(who.stdout()).startsWith("pid " + python.pid() + " (user root): ")
                    .contains("python3 -u -c import socket", "  tcp  LISTEN  127.0.0.1:" + port).doesNotContain("a JVM");
            assertThat(udp.exit()).as(udp.toString()).isEqualTo(1);
            assertThat(udp.stdout()).isEqualTo("nothing holds udp port " + port + " in this network namespace\n");
        }
    }

    @Test
    void whoOfAFreePortFindsNothing() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Ended who = cli(Jdk.current(), "who", Integer.toString(port));

        assertThat(who.exit()).as(who.toString()).isEqualTo(1);
        assertThat(who.stdout()).isEqualTo("nothing holds tcp or udp port " + port + " in this network namespace\n");
        assertThat(who.stderr()).isEmpty();
    }

    @Test
    void theJarIsTheCommandLine() {
        Ended help = cli(Jdk.current());
        assertThat(help.exit()).isZero();
        assertThat(help.stdout()).startsWith(Main.USAGE);
        assertThat(Files.isRegularFile(ChildJvm.agentJar())).isTrue();
    }
}
