package dev.portagent.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.Jdk;
import dev.portagent.jmx.apps.OwnLogManagerApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.management.MBeanServerConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The MBean is registered after the application's main has started, so an application that sets its
 * own java.util.logging LogManager in main (as WildFly does) keeps it.
 */
class LateRegistrationIT {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void anApplicationThatSetsItsOwnLogManagerInMainKeepsItAndTheMBeanComes(Jdk jdk) throws Exception {
        jdk.assumePresent();
        Path classLog = dir.resolve("classes.txt");
        try (ChildJvm child = ChildJvm.on(jdk).directory(dir).jvmArgs("-Xlog:class+load=info:file=" + classLog)
                .agent().classpath(ChildJvm.testClasspath())
                .mainClass(OwnLogManagerApp.class).start();
             BareJmx bare = new BareJmx(child)) {
            assertThat(child.nextLine("^logmanager (.*)$", BareJmx.PATIENCE).group(1))
                    .isEqualTo(OwnLogManagerApp.AppLogManager.class.getName());
            int port = Integer.parseInt(child.nextLine("^ready (\\d+)$", BareJmx.PATIENCE).group(1));
            MBeanServerConnection jmx = bare.connection();
            await().atMost(BareJmx.PATIENCE).until(() -> jmx.isRegistered(PortsMBeanIT.NAME));
            assertThat((String[]) jmx.getAttribute(PortsMBeanIT.NAME, "Table"))
                    .anySatisfy(line -> assertThat(line).contains(":" + port, "OwnLogManagerApp.main"));

            // Before the application's main class, nothing of JMX or java.util.logging was loaded.
            List<String> loaded = Files.readAllLines(classLog);
            int main = indexOf(loaded, " " + OwnLogManagerApp.class.getName() + " ");
            assertThat(main).isPositive();
            assertThat(loaded.subList(0, main)).noneMatch(line -> line.contains(" javax.management.")
                    || line.contains(" java.util.logging.") || line.contains(" java.lang.management."));

            child.send("exit");
            assertThat(child.awaitExit(BareJmx.PATIENCE)).as(child::describe).isZero();
            assertThat(child.stderr()).isEmpty();
        }
    }

    /**
     * The control: an agent that creates the platform MBeanServer in premain (the Prometheus JMX
     * exporter does) takes the application's LogManager away. Shows the test above can fail.
     */
    @Test
    void anAgentThatTouchesTheMBeanServerInPremainBreaksTheSameApplication() throws Exception {
        Path rules = Files.writeString(dir.resolve("rules.yml"), "rules:\n- pattern: \".*\"\n");
        try (ChildJvm child = ChildJvm.on(Jdk.current()).directory(dir)
                .jvmArgs(PrometheusExporterIT.exporterAgent(PrometheusExporterIT.freePort(), rules))
                .classpath(ChildJvm.testClasspath()).mainClass(OwnLogManagerApp.class).start()) {
            assertThat(child.nextLine("^logmanager (.*)$", BareJmx.PATIENCE).group(1))
                    .isEqualTo("java.util.logging.LogManager");
            child.send("exit");
        }
    }

    private static int indexOf(List<String> lines, String fragment) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(fragment)) {
                return i;
            }
        }
        return -1;
    }
}
