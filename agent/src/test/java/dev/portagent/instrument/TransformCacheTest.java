package dev.portagent.instrument;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transform cache may only ever hand the JVM what Byte Buddy would have woven from the very bytes
 * being loaded, by this agent, for this JDK; anything else it finds is a miss.
 */
class TransformCacheTest {

    private static final String NET = "sun/nio/ch/Net";
    private static final String FINGERPRINT = "agent-1/jdk-17";
    private static final int NOBODY = 65534;

    @TempDir
    Path home;

    private Path dir;
    private int me;
    private byte[] original;

    @BeforeEach
    void setUp() throws IOException {
        dir = home.resolve("cache").resolve("portagent");
        me = (Integer) Files.getAttribute(home, "unix:uid");
        original = PortTransformerTest.jdkClass(NET);
    }

    private TransformCache cache(String fingerprint) {
        return new TransformCache(dir, me, fingerprint);
    }

    @Test
    void aCachedTransformIsTheSameBytesAsAFreshOne() {
        byte[] fresh = new PortTransformer().weave(NET, original);
        PortTransformer first = new PortTransformer(cache(FINGERPRINT));
        byte[] woven = first.transform(null, null, NET, null, null, original);

        // A new JVM: a new transformer and cache over the same directory.
        TransformCache later = cache(FINGERPRINT);
        byte[] cached = later.get(NET, original);
        byte[] fromTransformer = new PortTransformer(later).transform(null, null, NET, null, null, original);

        assertThat(woven).isEqualTo(fresh);
        assertThat(cached).isEqualTo(fresh);
        assertThat(fromTransformer).isEqualTo(fresh);
        assertThat(later.problem()).isNull();
    }

    @Test
    void theDirectoryIsMadeAndCheckedAtTheFirstUseNotBefore() throws IOException {
        // As premain makes it: a JVM that loads no socket class never touches the disk.
        TransformCache cache = cache(FINGERPRINT);
        PortTransformer transformer = new PortTransformer(cache);
        assertThat(home.resolve("cache")).doesNotExist();
        assertThat(cache.problem()).isNull();

        transformer.transform(null, null, NET, null, null, original);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(cache.problem()).isNull();
        // The owner check runs at that first use too: a cache expecting another owner is off.
        TransformCache notMine = new TransformCache(dir, NOBODY, FINGERPRINT);
        assertThat(notMine.problem()).isNull();
        assertThat(notMine.get(NET, original)).isNull();
        assertThat(notMine.problem()).contains("not by this user");
    }

    @Test
    void createsThePrivateDirectoryAndPrivateEntries() throws IOException {
        cache(FINGERPRINT).put(NET, original, new byte[] {1, 2, 3});

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(entries()).singleElement().satisfies(entry ->
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(entry))).isEqualTo("rw-------"));
    }

    @Test
    void aChangedJdkClassIsAMiss() {
        cache(FINGERPRINT).put(NET, original, new byte[] {1, 2, 3});
        byte[] updated = original.clone();
        updated[updated.length - 1] ^= 1;

        assertThat(cache(FINGERPRINT).get(NET, updated)).isNull();
        assertThat(cache(FINGERPRINT).get(NET, original)).containsExactly(1, 2, 3);
    }

    @Test
    void anotherAgentBuildOrJdkIsAMiss() {
        cache(FINGERPRINT).put(NET, original, new byte[] {1, 2, 3});

        assertThat(cache("agent-2/jdk-17").get(NET, original)).isNull();
        assertThat(cache("agent-1/jdk-25").get(NET, original)).isNull();
    }

    @Test
    void theRealFingerprintNamesTheAgentTheWeavingClassesAndTheJdk() {
        TransformCache real = new TransformCache(dir, me, null);
        real.put(NET, original, new byte[] {1, 2, 3});

        assertThat(real.get(NET, original)).containsExactly(1, 2, 3);
        assertThat(cache("dev").get(NET, original)).as("an entry of the real fingerprint is no other's").isNull();
    }

    @Test
    void theFingerprintOfAnAgentRunFromClassesCoversEveryAdvice() {
        for (Class<?> advice : Hooks.class.getDeclaredClasses()) {
            assertThat(TransformCache.WEAVING_CLASSES).contains(advice.getName().replace('.', '/') + ".class");
        }
    }

    @Test
    void aCorruptEntryIsIgnoredAndRewritten() throws IOException {
        PortTransformer transformer = new PortTransformer(cache(FINGERPRINT));
        byte[] fresh = transformer.transform(null, null, NET, null, null, original);
        Path entry = entries().get(0);
        byte[] bytes = Files.readAllBytes(entry);

        for (byte[] corrupt : List.of(flip(bytes, bytes.length / 2), flip(bytes, bytes.length - 1),
                java.util.Arrays.copyOf(bytes, bytes.length - 9), new byte[0], "not a cache entry".getBytes())) {
            Files.write(entry, corrupt);
            assertThat(cache(FINGERPRINT).get(NET, original)).isNull();

            assertThat(new PortTransformer(cache(FINGERPRINT)).transform(null, null, NET, null, null, original))
                    .isEqualTo(fresh);
            assertThat(cache(FINGERPRINT).get(NET, original)).as("rewritten").isEqualTo(fresh);
        }
    }

    @Test
    void anEntryOfTheWrongClassIsAMiss() throws IOException {
        cache(FINGERPRINT).put(NET, original, new byte[] {1, 2, 3});
        Path entry = entries().get(0);
        // The same original bytes filed under another class's name.
        Files.move(entry, entry.resolveSibling(entry.getFileName().toString().replace("sun.nio.ch.Net", "sun.nio.ch.Other")));

        assertThat(cache(FINGERPRINT).get("sun/nio/ch/Other", original)).isNull();
    }

    @Test
    void aDirectoryOfAnotherUserIsNotUsed() throws IOException {
        cache(FINGERPRINT).put(NET, original, new byte[] {1, 2, 3});
        TransformCache notMine = new TransformCache(dir, NOBODY, FINGERPRINT);

        assertThat(notMine.get(NET, original)).isNull();
        assertThat(notMine.problem()).contains("not by this user");
    }

    @Test
    void aDirectoryOthersCanWriteIsNotUsed() throws IOException {
        cache(FINGERPRINT).put(NET, original, new byte[] {1, 2, 3});
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));

        TransformCache shared = cache(FINGERPRINT);

        assertThat(shared.get(NET, original)).isNull();
        assertThat(shared.problem()).contains("writable by others");
    }

    @Test
    void aCacheInASharedParentSuchAsTmpIsNotUsed() throws IOException {
        Path shared = home.resolve("shared");
        Files.createDirectory(shared);
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));

        TransformCache inTmp = new TransformCache(shared.resolve("portagent"), me, FINGERPRINT);
        inTmp.put(NET, original, new byte[] {1, 2, 3});

        assertThat(inTmp.get(NET, original)).isNull();
        assertThat(inTmp.problem()).contains("writable by others");
    }

    @Test
    void aSymbolicLinkIsNotUsedAsTheDirectoryOrAsAnEntry() throws IOException {
        Path real = home.resolve("elsewhere");
        new TransformCache(real, me, FINGERPRINT).put(NET, original, new byte[] {1, 2, 3});
        Files.createDirectories(dir.getParent());
        Files.createSymbolicLink(dir, real);

        TransformCache linked = cache(FINGERPRINT);
        assertThat(linked.get(NET, original)).isNull();
        assertThat(linked.problem()).contains("symbolic link");

        Files.delete(dir);
        Path entry;
        try (Stream<Path> files = Files.list(real)) {
            entry = files.findFirst().orElseThrow();
        }
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.createSymbolicLink(dir.resolve(entry.getFileName()), entry);
        assertThat(cache(FINGERPRINT).get(NET, original)).isNull();
    }

    @Test
    void anUnusableCacheStillTransforms() throws IOException {
        Files.createDirectories(dir.getParent());
        Files.writeString(dir, "a file where the directory should be");

        byte[] woven = new PortTransformer(cache(FINGERPRINT)).transform(null, null, NET, null, null, original);

        assertThat(woven).isEqualTo(new PortTransformer().weave(NET, original));
    }

    private List<Path> entries() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    private static byte[] flip(byte[] bytes, int index) {
        byte[] copy = bytes.clone();
        copy[index] ^= 0x40;
        return copy;
    }
}
