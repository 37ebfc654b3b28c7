package dev.portagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.e2e.ChildJvm.Ended;
import dev.portagent.e2e.apps.EndsAtOnce;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JVM calls premain and agentmain by reflection. From JDK 18 a JVM's first reflective call spins
 * method-handle classes, milliseconds of every start with the agent, unless the method is varargs with no
 * array last, which the build makes them; on JDK 17 reflection spins none either way.
 */
class EntryPointsIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(1);

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void premainIsCalledWithoutSpinningMethodHandleClasses(Jdk jdk, @TempDir Path dir) throws IOException {
        jdk.assumePresent();
        Path classes = dir.resolve("classes.log");
        Ended ended = ChildJvm.on(jdk).env("XDG_CACHE_HOME", dir.resolve("cache-home").toString())
                .jvmArgs("-Xlog:class+load=info:file=" + classes).agent()
                .classpath(ChildJvm.testClasspath()).mainClass(EndsAtOnce.class).run(TIMEOUT);

        assertThat(ended.exit()).as(ended.description()).isZero();
        assertThat(classesBetween(classes, "dev.portagent.Agent", "dev.portagent.Installer")).as("classes loaded to call premain")
                .noneMatch(EntryPointsIT::spunByMethodHandles);
    }

    private static boolean spunByMethodHandles(String classLoadLine) {
        return classLoadLine.contains("java.lang.invoke.LambdaForm$") || classLoadLine.contains("__JVM_LookupDefineClass__");
    }

    private static List<String> classesBetween(Path classLog, String first, String last) throws IOException {
        List<String> lines = Files.readAllLines(classLog);
        int from = ClassLog.indexOf(lines, first);
        int to = ClassLog.indexOf(lines, last);
        assertThat(to).as(last + " after " + first).isGreaterThan(from);
        return lines.subList(from, to + 1);
    }
}
