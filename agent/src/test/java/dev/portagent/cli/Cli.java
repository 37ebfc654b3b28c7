package dev.portagent.cli;

import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.Jdk;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** What the command line's end-to-end tests share: runs of {@code java -jar portagent.jar} and their apps. */
final class Cli {

    // A bound for waiting on a child, not a timing assertion: a healthy one answers at once.
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Cli() {
    }

    /** {@code java -jar portagent.jar args} on that JDK, to its end. */
    static ChildJvm.Ended cli(Jdk jdk, String... args) {
        return ChildJvm.on(jdk).jar(ChildJvm.agentJar()).args(args).run(TIMEOUT);
    }

    /** A JVM running one of the test applications, without the agent unless the test adds it. */
    static ChildJvm.Builder app(Jdk jdk, Class<?> main) {
        return ChildJvm.on(jdk).classpath(ChildJvm.testClasspath()).mainClass(main);
    }

    /** From Java 21 on (JEP 451) the JDK warns on stderr when an agent is loaded into a running JVM. */
    static boolean warnsOfDynamicAgents(Jdk jdk) {
        return jdk.feature() >= 21;
    }

    /** The lines of a child's stderr other than the JDK's own "WARNING: " blocks (which end in a blank line). */
    static List<String> notJdkWarnings(String stderr) {
        return stderr.lines().filter(line -> !line.startsWith("WARNING: ") && !line.isBlank()).toList();
    }

    /** Skips the rest of a test that needs the MBean of issue 3 when this build does not register it yet. */
    static void assumeMBean(ChildJvm.Ended result) {
        Assumptions.assumeFalse(result.stderr().contains("is not registered"),
                "skipped: dev.portagent:type=Ports not registered yet");
    }
}
