package dev.portagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portagent.e2e.apps.FileFirstServer;
import dev.portagent.e2e.apps.ReadyServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
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
    private static final Path SHM = Path.of("/dev/shm");

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
        // Nor Jackson for its report: a start that weaves nothing never needs the libraries.
        assertThat(second.classesLoaded()).doesNotContain("dev.portagent.shaded.");
        List<String> files;
        try (Stream<Path> entries = Files.list(cacheHome.resolve("portagent"))) {
            files = entries.map(p -> p.getFileName().toString()).toList();
        }
        assertThat(files).anyMatch(name -> name.startsWith("sun.nio.ch.Net-"));
        // Byte Buddy came from the libraries' one copy in the cache, which the second start's report shared.
        assertThat(files.stream().filter(name -> name.startsWith("libraries-"))).singleElement()
                .satisfies(name -> assertThat(first.classesLoaded().lines()
                                .filter(l -> l.contains(BYTE_BUDDY) && !l.endsWith("source: __dynamic_proxy__")))
                        .isNotEmpty().allMatch(l -> l.endsWith(cacheHome.resolve("portagent").resolve(name).toString())));
        assertThat(second.sockets()).isNotEmpty().isEqualTo(first.sockets());
        assertThat(first.stderr()).doesNotContain("portagent");
        assertThat(second.stderr()).doesNotContain("portagent");
    }

    /**
     * A miss beside an unpacked copy of the libraries (another JDK's or an older build's entries): the weaving
     * reads that copy first, and on JDK 25 a stream over a file loads SocketChannelImpl, the very class being
     * woven when a file read loads it first.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void aStartThatFindsOnlyTheLibrariesWeavesAndRecordsTheSame(Jdk jdk, @TempDir Path dir) throws IOException {
        jdk.assumePresent();
        Path cacheHome = dir.resolve("cache-home");
        Start first = start(jdk, dir, cacheHome, "first", FileFirstServer.class);
        try (Stream<Path> entries = Files.list(cacheHome.resolve("portagent"))) {
            for (Path woven : entries.filter(p -> p.toString().endsWith(".woven")).toList()) {
                Files.delete(woven);
            }
        }

        Start again = start(jdk, dir, cacheHome, "again", FileFirstServer.class);

        assertThat(again.classesLoaded()).contains(BYTE_BUDDY);
        assertThat(again.sockets()).isNotEmpty().isEqualTo(first.sockets());
        assertThat(again.stderr()).doesNotContain("portagent").doesNotContain("Error");
    }

    /** With the cache off the libraries are unpacked for each JVM, into a temporary file of its own. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void withoutTheCacheTheLibrariesComeFromAPrivateFileDeletedAtExit(Jdk jdk, @TempDir Path dir) throws IOException {
        jdk.assumePresent();
        Path cacheHome = dir.resolve("cache-home");

        Start off = start(jdk, dir, cacheHome, "off", FileFirstServer.class, "cache=false");
        Start on = start(jdk, dir, cacheHome, "on", FileFirstServer.class);

        assertThat(off.classesLoaded().lines().filter(l -> l.contains(BYTE_BUDDY) && !l.endsWith("source: __dynamic_proxy__")))
                .isNotEmpty().allMatch(l -> l.contains("source: file:" + dir.resolve("tmp").resolve("portagent-libraries.jar.")));
        assertThat(off.sockets()).isNotEmpty().isEqualTo(on.sockets());
        assertThat(off.stderr()).doesNotContain("portagent").doesNotContain("Error");
        try (Stream<Path> left = Files.list(dir.resolve("tmp"))) {
            assertThat(left).as("left in java.io.tmpdir").isEmpty();
        }
    }

    /** A read-only root file system, where only /dev/shm takes a file: there, and gone at exit. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void withoutACacheOrATemporaryDirectoryTheyComeFromSharedMemory(Jdk jdk, @TempDir Path dir) throws IOException {
        jdk.assumePresent();
        Assumptions.assumeTrue(Files.isDirectory(SHM) && Files.isWritable(SHM), "skipped: no writable /dev/shm");
        Path cacheHome = dir.resolve("cache-home");
        List<Path> before = portagentFilesIn(SHM);

        Start off = start(jdk, dir, dir.resolve("no-such-directory"), cacheHome, "off", FileFirstServer.class,
                "cache=false");
        Start on = start(jdk, dir, cacheHome, "on", FileFirstServer.class);

        assertThat(off.classesLoaded().lines().filter(l -> l.contains(BYTE_BUDDY) && !l.endsWith("source: __dynamic_proxy__")))
                .isNotEmpty().allMatch(l -> l.contains("source: file:" + SHM.resolve("portagent-libraries.jar.")));
        assertThat(off.sockets()).isNotEmpty().isEqualTo(on.sockets());
        assertThat(off.stderr()).doesNotContain("portagent").doesNotContain("Error");
        assertThat(portagentFilesIn(SHM)).as("left in /dev/shm").isEqualTo(before);
    }

    private static List<Path> portagentFilesIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("portagent-")).sorted().toList();
        }
    }

    private static Start start(Jdk jdk, Path dir, Path cacheHome, String name) throws IOException {
        return start(jdk, dir, cacheHome, name, ReadyServer.class);
    }

    private static Start start(Jdk jdk, Path dir, Path cacheHome, String name, Class<?> app, String... more)
            throws IOException {
        return start(jdk, dir, Files.createDirectories(dir.resolve("tmp")), cacheHome, name, app, more);
    }

    private static Start start(Jdk jdk, Path dir, Path tmp, Path cacheHome, String name, Class<?> app, String... more)
            throws IOException {
        Path report = dir.resolve(name + ".json");
        Path classes = dir.resolve(name + "-classes.log");
        try (ChildJvm child = ChildJvm.on(jdk).env("XDG_CACHE_HOME", cacheHome.toString())
                .jvmArgs("-Xlog:class+load=info:file=" + classes, "-Djava.io.tmpdir=" + tmp)
                .agent(String.join(",", Stream.concat(Stream.of("report=" + report), Stream.of(more)).toList()))
                .classpath(ChildJvm.testClasspath()).mainClass(app).start()) {
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
