package dev.portagent.cli;

import static dev.portagent.cli.CliHarness.JAR;
import static dev.portagent.cli.CliHarness.JDK_17;
import static dev.portagent.cli.CliHarness.JDK_25;
import static dev.portagent.cli.CliHarness.assumeInstalled;
import static dev.portagent.cli.CliHarness.assumeMBean;
import static dev.portagent.cli.CliHarness.cli;
import static dev.portagent.cli.CliHarness.json;
import static dev.portagent.cli.CliHarness.sockets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.tools.attach.VirtualMachine;
import dev.portagent.cli.CliHarness.Child;
import dev.portagent.cli.CliHarness.Result;
import dev.portagent.cli.apps.HoldingApp;
import dev.portagent.proc.ProcNet;
import dev.portagent.registry.Reconciler;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The command line against real child JVMs on 17 and 25, checked against /proc. */
class CliIT {

    private static final String JDKS = "dev.portagent.cli.CliHarness#jdks";

    @TempDir
    Path dir;

    @ParameterizedTest
    @MethodSource(JDKS)
    void attachRecordsEarlierSocketsAsBeforeAgentAndLaterOnesWithTheirLine(Path jdk) throws Exception {
        assumeInstalled(jdk);
        Path reportFile = dir.resolve("ports.json");
        try (Child app = Child.jvm(jdk, List.of(), HoldingApp.class)) {
            String ready = app.expect("ready");
            int tcp = Integer.parseInt(Child.field(ready, "tcp"));
            int udp = Integer.parseInt(Child.field(ready, "udp"));

            // reconcile=0: only the passes at attach and at the exit report, so the closes below are found there.
            Result attach = cli(jdk, "attach", Long.toString(app.pid()), "report=" + reportFile + ",reconcile=0");

            assertThat(attach.exit()).as(attach.toString()).isZero();
            assertThat(attach.out()).startsWith("portagent ").contains("is recording in JVM " + app.pid() + " ("
                    + HoldingApp.class.getName() + ")");
            assertThat(attach.out().contains("note: Java 25 printed a warning")).isEqualTo(jdk.equals(JDK_25));
            app.send("open");
            String opened = app.expect("opened");
            int fresh = Integer.parseInt(Child.field(opened, "tcp"));
            String site = Child.field(opened, "site");
            app.send("close-before");
            app.expect("closed");
            Set<Tuple> held = ProcNet.socketsOf(app.pid()).stream()
                    .map(s -> tuple(s.protocol(), s.localPort())).collect(Collectors.toSet());
            assertThat(held).containsExactlyInAnyOrder(tuple("udp", udp), tuple("tcp", fresh));
            app.send("exit");
            String stderr = app.awaitExit();

            // Nothing from portagent; on 25 only the JDK's own warning about a dynamically loaded agent.
            assertThat(CliHarness.notJdkWarnings(stderr)).isEmpty();
            assertThat(stderr.isEmpty()).isEqualTo(jdk.equals(JDK_17));
            JsonNode report = json(reportFile);
            List<JsonNode> sockets = sockets(report);
            assertThat(sockets.stream().filter(s -> s.path("state").asText().equals("open"))
                    .map(s -> tuple(s.path("protocol").asText(), s.path("localPort").asInt())))
                    .as("open in the report = held according to /proc; report: %s", report).containsExactlyInAnyOrderElementsOf(held);
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
            assertThat(report.path("summary").path("origins").path("before-agent").asInt()).isEqualTo(1);

            Result show = cli(jdk, "show", reportFile.toString());
            assertThat(show.exit()).as(show.toString()).isZero();
            assertThat(show.out()).contains(Reconciler.BEFORE_AGENT_SITE, site, "sites:");
            assertThat(show.err()).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource(JDKS)
    void listTellsWhichJvmsHavePortagentAndAttachInstallsOnce(Path jdk) throws Exception {
        assumeInstalled(jdk);
        try (Child started = Child.jvm(jdk, List.of("-javaagent:" + JAR), HoldingApp.class);
             Child attached = Child.jvm(jdk, List.of(), HoldingApp.class)) {
            started.expect("ready");
            attached.expect("ready");

            Result list = cli(jdk, "list");
            Result toStarted = cli(jdk, "attach", Long.toString(started.pid()), "stack=8");
            Result first = cli(jdk, "attach", Long.toString(attached.pid()), "stack=8");
            Result second = cli(jdk, "attach", Long.toString(attached.pid()));

            assertThat(list.exit()).as(list.toString()).isZero();
            assertThat(list.out().lines()).first().asString().matches("PID +USER +PORTAGENT +MAIN");
            assertThat(list.out().lines())
                    .anyMatch(l -> l.matches(started.pid() + " +root +yes +" + HoldingApp.class.getName()))
                    .anyMatch(l -> l.matches(attached.pid() + " +root +no +" + HoldingApp.class.getName()));
            assertThat(toStarted.exit()).as(toStarted.toString()).isZero();
            assertThat(toStarted.out()).contains("is already recording in JVM " + started.pid()
                    + " (loaded by -javaagent, options: defaults); nothing changed");
            assertThat(first.exit()).as(first.toString()).isZero();
            assertThat(second.exit()).as(second.toString()).isZero();
            assertThat(second.out()).contains("is already recording in JVM " + attached.pid()
                    + " (loaded by attach, options: stack=8); nothing changed");
            // Past the command line, straight through the attach API: the agent itself installs once.
            VirtualMachine vm = VirtualMachine.attach(Long.toString(started.pid()));
            try {
                vm.loadAgent(JAR.toString(), "verbose=true");
            } finally {
                vm.detach();
            }
            attached.send("exit");
            started.send("exit");
            // The second attach loaded nothing: the JDK warns once per agent load.
            assertThat(attached.awaitExit().lines().filter(l -> l.startsWith("WARNING: A Java agent has been loaded")))
                    .hasSize(jdk.equals(JDK_25) ? 1 : 0);
            assertThat(CliHarness.notJdkWarnings(started.awaitExit()))
                    .containsExactly("portagent: already installed in this JVM; this attach changes nothing");
        }
    }

    /**
     * Before attach, who says that portagent is not loaded and how to load it. After, ports, who and report
     * read the MBean of issue 3: that part is skipped until it is registered in this build.
     */
    @ParameterizedTest
    @MethodSource(JDKS)
    void whoBeforeAttachThenPortsWhoAndReportNameTheLineOfCode(Path jdk) throws Exception {
        assumeInstalled(jdk);
        try (Child app = Child.jvm(jdk, List.of(), HoldingApp.class)) {
            int tcp = Integer.parseInt(Child.field(app.expect("ready"), "tcp"));
            String pid = Long.toString(app.pid());
            Result before = cli(jdk, "who", Integer.toString(tcp));
            assertThat(before.exit()).as(before.toString()).isZero();
            assertThat(before.out()).contains("pid " + pid + " (user root, a JVM): ", HoldingApp.class.getName(),
                    "tcp  LISTEN  [::]:" + tcp, "portagent is not loaded in this JVM", "attach " + pid);

            assertThat(cli(jdk, "attach", pid).exit()).isZero();
            app.send("open");
            String opened = app.expect("opened");
            int fresh = Integer.parseInt(Child.field(opened, "tcp"));
            String site = Child.field(opened, "site");

            Result ports = cli(jdk, "ports", pid);
            assumeMBean(ports);

            assertThat(ports.exit()).as(ports.toString()).isZero();
            assertThat(ports.out().lines()).anyMatch(l -> l.matches("tcp +\\[::]:" + fresh + " .* listen .* main +"
                    + java.util.regex.Pattern.quote(site)))
                    .anyMatch(l -> l.startsWith("tcp    [::]:" + tcp + " ") && l.endsWith(Reconciler.BEFORE_AGENT_SITE));
            Result who = cli(jdk, "who", Integer.toString(fresh));
            assertThat(who.exit()).as(who.toString()).isZero();
            assertThat(who.out()).contains("pid " + pid + " (user root, a JVM)", "site: " + site, "stack: ");
            Path file = dir.resolve("live.json");
            Result report = cli(jdk, "report", pid, file.toString());
            assertThat(report.exit()).as(report.toString()).isZero();
            assertThat(json(file).path("schema").asText()).isEqualTo("portagent-report/1");
            Result asJson = cli(jdk, "ports", pid, "--json");
            assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(asJson.out()).path("jvm").path("pid")
                    .asLong()).isEqualTo(app.pid());
        }
    }

    @Test
    void whoNamesANonJvmProcess() throws Exception {
        Assumptions.assumeTrue(CliHarness.run(List.of("python3", "-c", "pass")).exit() == 0, "skipped: no python3");
        try (Child python = Child.start(List.of("python3", "-u", "-c", "import socket, sys\n"
                + "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
                + "print('ready port=%d' % s.getsockname()[1]); sys.stdin.readline()"))) {
            String port = Child.field(python.expect("ready"), "port");

            Result who = cli(JDK_17, "who", port);
            Result udp = cli(JDK_17, "who", "--udp", port);

            assertThat(who.exit()).as(who.toString()).isZero();
            // pyenv's python3 is a shim that execs the real one: the command line names its full path.
            assertThat(who.out()).startsWith("pid " + python.pid() + " (user root): ").contains("python3 -u -c import socket",
                    "  tcp  LISTEN  127.0.0.1:" + port).doesNotContain("a JVM");
            assertThat(udp.exit()).as(udp.toString()).isEqualTo(1);
            assertThat(udp.out()).isEqualTo("nothing holds udp port " + port + " in this network namespace\n");
        }
    }

    @Test
    void whoOfAFreePortFindsNothing() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Result who = cli(JDK_17, "who", Integer.toString(port));

        assertThat(who.exit()).as(who.toString()).isEqualTo(1);
        assertThat(who.out()).isEqualTo("nothing holds tcp or udp port " + port + " in this network namespace\n");
        assertThat(who.err()).isEmpty();
    }

    @Test
    void theJarIsTheCommandLine() throws Exception {
        Result help = cli(JDK_17);
        assertThat(help.exit()).isZero();
        assertThat(help.out()).startsWith(Main.USAGE);
        assertThat(Files.isRegularFile(JAR)).isTrue();
    }
}
