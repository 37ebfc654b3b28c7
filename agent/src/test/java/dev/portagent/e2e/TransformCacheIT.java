package dev.portagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portagent.e2e.apps.ReadyServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The transform cache in a real JVM: the first start weaves the JDK's socket classes with Byte Buddy
 * and keeps them; the second takes them from the cache, loads no Byte Buddy class at all, and records
 * the same sockets from the same lines.
 */
class TransformCacheIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String BYTE_BUDDY = "dev.portagent.shaded.net.bytebuddy.";

    private record Start(String classesLoaded, List<String> sockets, String stderr) {
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void aSecondStartTakesTheJdkClassesFromTheCacheAndRecordsTheSame(Jdk jdk, @TempDir Path dir) throws IOException {
        jdk.assumePresent();
        Path cacheHome = dir.resolve("cache-home");

        Start first = start(jdk, dir, cacheHome, "first");
        Start second = start(jdk, dir, cacheHome, "second");

        assertThat(first.classesLoaded()).contains(BYTE_BUDDY);
        assertThat(second.classesLoaded()).doesNotContain(BYTE_BUDDY);
        try (Stream<Path> entries = Files.list(cacheHome.resolve("portagent"))) {
            assertThat(entries.map(p -> p.getFileName().toString()))
                    .anyMatch(name -> name.startsWith("sun.nio.ch.Net-"));
        }
        assertThat(second.sockets()).isNotEmpty().isEqualTo(first.sockets());
        assertThat(first.stderr()).doesNotContain("portagent");
        assertThat(second.stderr()).doesNotContain("portagent");
    }

    private static Start start(Jdk jdk, Path dir, Path cacheHome, String name) throws IOException {
        Path report = dir.resolve(name + ".json");
        Path classes = dir.resolve(name + "-classes.log");
        try (ChildJvm child = ChildJvm.on(jdk).env("XDG_CACHE_HOME", cacheHome.toString())
                .jvmArgs("-Xlog:class+load=info:file=" + classes)
                .agent("report=" + report).classpath(ChildJvm.testClasspath()).mainClass(ReadyServer.class).start()) {
            child.awaitLine(line -> line.startsWith("READY"), TIMEOUT);
            child.send("bye");
            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isEqualTo(3);
            return new Start(Files.readString(classes), sockets(report), child.stderr());
        }
    }

    /** What does not change from one run to the next: no ports, ids, times. */
    private static List<String> sockets(Path report) throws IOException {
        List<String> sockets = new ArrayList<>();
        for (JsonNode s : new ObjectMapper().readTree(report.toFile()).get("sockets")) {
            sockets.add(String.join(" ", s.get("protocol").asText(), s.get("role").asText(), s.get("family").asText(),
                    s.get("localAddress").asText(), s.get("requestedPort").asText(), s.get("ephemeral").asText(),
                    s.get("state").asText(), s.get("site").asText(), s.get("stack").toString()));
        }
        return sockets;
    }
}
