package dev.portagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.e2e.apps.OwnLibraries;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The agent stays out of the application's way: its shaded Jackson and Byte Buddy do not meet the
 * application's own, and the JDK internals it needs are opened to it, not to the class path it shares
 * with the application.
 */
class OwnLibrariesIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(1);

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void theApplicationKeepsItsLibrariesAndItsEncapsulation(Jdk jdk, @TempDir Path dir) {
        jdk.assumePresent();
        Path reportFile = dir.resolve("ports.json");
        int port;
        try (ChildJvm child = ChildJvm.on(jdk).agent("report=" + reportFile).classpath(ChildJvm.testClasspath())
                .classpath(ChildJvm.libs("jackson-", "byte-buddy-")).mainClass(OwnLibraries.class).start()) {
            port = Integer.parseInt(child.awaitLine("^JSON \\{\"port\":(\\d+)}$", TIMEOUT).group(1));
            child.awaitLine("^READY$", TIMEOUT);
            assertThat(child.stdout()).contains("CLASS made by the application's Byte Buddy\n",
                    "JACKSON jackson-databind-2.15.4.jar\n", "BYTEBUDDY byte-buddy-1.14.19.jar\n", "INTERNALS []\n");
            child.send("exit");
            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
            assertThat(child.stderr()).as("stderr").isEmpty();
        }
        assertThat(Report.read(reportFile).sockets()).singleElement().satisfies(s -> {
            assertThat(s.path("role").asText()).isEqualTo("listen");
            assertThat(s.path("localPort").asInt()).isEqualTo(port);
            assertThat(s.path("site").asText()).startsWith(OwnLibraries.class.getName() + ".main(OwnLibraries.java:");
        });
    }

    /** The application's checks would see internals if something granted them: "INTERNALS []" means none were. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void theApplicationSeesWhatItsCommandLineOpens(Jdk jdk) {
        jdk.assumePresent();
        try (ChildJvm child = ChildJvm.on(jdk).jvmArgs("--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                        "--add-opens", "java.base/java.net=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                        "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED")
                .classpath(ChildJvm.testClasspath()).classpath(ChildJvm.libs("jackson-", "byte-buddy-"))
                .mainClass(OwnLibraries.class).start()) {
            child.awaitLine("^READY$", TIMEOUT);
            assertThat(child.stdout()).contains("INTERNALS [sun.nio.ch, java.net, java.lang, jdk.internal.misc]\n");
            child.send("exit");
            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
        }
    }
}
