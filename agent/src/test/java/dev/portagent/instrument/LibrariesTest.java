package dev.portagent.instrument;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar of libraries is loaded into java.base's neighbours: the copy on disk is used only when it is this
 * user's, private and byte for byte the one inside this agent jar. (Loading it is tested on the real jar:
 * every end-to-end test that weaves, writes a report or runs the command line.)
 */
class LibrariesTest {

    private static final int NOBODY = 65534;

    @TempDir
    Path home;

    private Path dir;
    private int me;

    @BeforeEach
    void setUp() throws IOException {
        dir = home.resolve("cache").resolve("portagent");
        me = (Integer) Files.getAttribute(home, "unix:uid");
    }

    private TransformCache cache() {
        return new TransformCache(dir, me, "agent-1/jdk-17");
    }

    @Test
    void theFirstUseWritesAPrivateCopyThatLaterUsesShare() throws IOException {
        byte[] jar = {'P', 'K', 1, 2, 3};

        Path first = Libraries.unpack(jar, cache());
        FileTime written = Files.getLastModifiedTime(first);
        Path later = Libraries.unpack(jar, cache());

        assertThat(first.getParent()).isEqualTo(dir);
        assertThat(Files.readAllBytes(first)).isEqualTo(jar);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first))).isEqualTo("rw-------");
        assertThat(later).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(later)).isEqualTo(written);
    }

    @Test
    void aCopyThatDiffersInAnyByteIsWrittenAnew() throws IOException {
        byte[] jar = {'P', 'K', 1, 2, 3};
        Path file = Libraries.unpack(jar, cache());
        Files.write(file, new byte[] {'P', 'K', 1, 2, 4});

        Path again = Libraries.unpack(jar, cache());

        assertThat(again).isEqualTo(file);
        assertThat(Files.readAllBytes(again)).isEqualTo(jar);
    }

    @Test
    void aCopyOthersMayWriteIsNotUsed() throws IOException {
        byte[] jar = {'P', 'K', 1, 2, 3};
        Path file = Libraries.unpack(jar, cache());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));

        Path again = Libraries.unpack(jar, cache());

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(again))).isEqualTo("rw-------");
    }

    @Test
    void withoutAUsableCacheDirectoryAPrivateTemporaryFileHoldsThem() throws IOException {
        byte[] jar = {'P', 'K', 9};
        TransformCache notMine = new TransformCache(dir, NOBODY, "agent-1/jdk-17");

        Path offCache = Libraries.unpack(jar, null);
        Path badCache = Libraries.unpack(jar, notMine);

        for (Path file : new Path[] {offCache, badCache}) {
            assertThat(file.getParent()).isEqualTo(Path.of(System.getProperty("java.io.tmpdir")));
            assertThat(Files.readAllBytes(file)).isEqualTo(jar);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            Files.delete(file);
        }
        assertThat(notMine.problem()).contains("not by this user");
    }

    @Test
    void onlyTheNewestFewBuildsKeepACopy() throws IOException {
        for (int build = 0; build < 6; build++) {
            Path file = Libraries.unpack(new byte[] {'P', 'K', (byte) build}, cache());
            // Builds a second apart, whatever the file system's timestamp resolution.
            Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000L * (build + 1)));
        }

        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("libraries-")).count()).isEqualTo(3);
        }
    }
}
