package dev.portagent.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portagent.jmx.apps.OwnLogManagerApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
    @MethodSource("dev.portagent.jmx.ChildJvm#jdks")
    void anApplicationThatSetsItsOwnLogManagerInMainKeepsItAndTheMBeanComes(String jdk, Path javaHome)
            throws Exception {
        Path classLog = dir.resolve("classes.txt");
        try (ChildJvm child = ChildJvm.start(javaHome, dir,
                List.of(ChildJvm.agent(""), "-Xlog:class+load=info:file=" + classLog), OwnLogManagerApp.class)) {
            assertThat(child.expect("logmanager")).isEqualTo(OwnLogManagerApp.AppLogManager.class.getName());
            int port = Integer.parseInt(child.expect("ready"));
            MBeanServerConnection jmx = child.jmx();
            await().atMost(Duration.ofSeconds(ChildJvm.PATIENCE_SECONDS)).until(() -> jmx.isRegistered(PortsMBeanIT.NAME));
            assertThat((String[]) jmx.getAttribute(PortsMBeanIT.NAME, "Table"))
                    .anySatisfy(line -> assertThat(line).contains(":" + port, "OwnLogManagerApp.main"));

            // Before the application's main class, nothing of JMX or java.util.logging was loaded.
            List<String> loaded = Files.readAllLines(classLog);
            int main = indexOf(loaded, " " + OwnLogManagerApp.class.getName() + " ");
            assertThat(main).isPositive();
            assertThat(loaded.subList(0, main)).noneMatch(line -> line.contains(" javax.management.")
                    || line.contains(" java.util.logging.") || line.contains(" java.lang.management."));

            child.send("exit");
            assertThat(child.waitForExit()).isZero();
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
        try (ChildJvm child = ChildJvm.start(Path.of(System.getProperty("java.home")), dir,
                List.of(PrometheusExporterIT.exporterAgent(PrometheusExporterIT.freePort(), rules)),
                OwnLogManagerApp.class)) {
            assertThat(child.expect("logmanager")).isEqualTo("java.util.logging.LogManager");
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
