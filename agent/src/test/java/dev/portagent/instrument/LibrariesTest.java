package dev.portagent.instrument;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar of libraries joins the system class path: the copy on disk is used only when it is this user's,
 * private, and of the size and checksum the agent jar's directory gives its entry. (Loading it is tested on the real jar:
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

    /** The libraries' entry of an agent jar that holds these bytes in it. */
    private Path unpack(byte[] libraries, TransformCache cache) throws IOException {
        return unpack(libraries, cache, List.of(Path.of(System.getProperty("java.io.tmpdir"))));
    }

    private Path unpack(byte[] libraries, TransformCache cache, List<Path> temporary) throws IOException {
        Path agentJar = Files.createTempFile(home, "agent", ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(agentJar))) {
            JarEntry entry = new JarEntry(Libraries.ENTRY);
            CRC32 crc = new CRC32();
            crc.update(libraries);
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(libraries.length);
            entry.setCrc(crc.getValue());
            out.putNextEntry(entry);
            out.write(libraries);
        }
        try (JarFile jar = new JarFile(agentJar.toFile())) {
            return Libraries.unpack(jar, jar.getJarEntry(Libraries.ENTRY), cache, temporary);
        }
    }

    @Test
    void theFirstUseWritesAPrivateCopyThatLaterUsesShare() throws IOException {
        byte[] jar = {'P', 'K', 1, 2, 3};

        Path first = unpack(jar, cache());
        FileTime written = Files.getLastModifiedTime(first);
        Path later = unpack(jar, cache());

        assertThat(first.getParent()).isEqualTo(dir);
        assertThat(Files.readAllBytes(first)).isEqualTo(jar);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first))).isEqualTo("rw-------");
        assertThat(later).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(later)).isEqualTo(written);
    }

    @Test
    void aCopyOfAnotherSizeOrChecksumIsWrittenAnew() throws IOException {
        byte[] jar = {'P', 'K', 1, 2, 3};
        Path file = unpack(jar, cache());

        for (byte[] unexpected : new byte[][] {{'P', 'K', 1, 2, 4}, {'P', 'K', 1, 2}}) {
            Files.write(file, unexpected);
            Path again = unpack(jar, cache());

            assertThat(again).isEqualTo(file);
            assertThat(Files.readAllBytes(again)).isEqualTo(jar);
        }
    }

    @Test
    void aCopyOthersMayWriteIsNotUsed() throws IOException {
        byte[] jar = {'P', 'K', 1, 2, 3};
        Path file = unpack(jar, cache());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));

        Path again = unpack(jar, cache());

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(again))).isEqualTo("rw-------");
    }

    @Test
    void withoutAUsableCacheDirectoryAPrivateTemporaryFileHoldsThem() throws IOException {
        byte[] jar = {'P', 'K', 9};
        TransformCache notMine = new TransformCache(dir, NOBODY, "agent-1/jdk-17");

        Path offCache = unpack(jar, null);
        Path badCache = unpack(jar, notMine);

        for (Path file : new Path[] {offCache, badCache}) {
            assertThat(file.getParent()).isEqualTo(Path.of(System.getProperty("java.io.tmpdir")));
            assertThat(Files.readAllBytes(file)).isEqualTo(jar);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            Files.delete(file);
        }
        assertThat(notMine.problem()).contains("not by this user");
    }

    /** A read-only root file system: java.io.tmpdir refuses, /dev/shm (here: the last place) takes it. */
    @Test
    void aTemporaryDirectoryThatRefusesPassesItToTheNext() throws IOException {
        Path notADirectory = Files.writeString(home.resolve("not-a-directory"), "");
        Path shm = Files.createDirectory(home.resolve("shm"));

        Path file = unpack(new byte[] {'P', 'K', 7}, null, List.of(home.resolve("missing"), notADirectory, shm));

        assertThat(file.getParent()).isEqualTo(shm);
        assertThat(Files.readAllBytes(file)).containsExactly('P', 'K', 7);
        IOException nowhere = Assertions.catchThrowableOfType(
                () -> unpack(new byte[] {'P', 'K', 8}, null, List.of(home.resolve("missing"), notADirectory)),
                IOException.class);
        assertThat(nowhere.getSuppressed()).hasSize(1);
    }

    @Test
    void onlyTheNewestFewBuildsKeepACopy() throws IOException {
        for (int build = 0; build < 6; build++) {
            Path file = unpack(new byte[] {'P', 'K', (byte) build}, cache());
            // Builds a second apart, whatever the file system's timestamp resolution.
            Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000L * (build + 1)));
        }

        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("libraries-")).count()).isEqualTo(3);
        }
    }
}
