package dev.portagent.instrument;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * The woven bytes of the JDK's socket classes from an earlier run, so that a JVM start needs no Byte
 * Buddy (hundreds of classes, most of a second) once the same agent has seen the same JDK.
 *
 * <p>What it returns is code that runs inside java.base, so it trusts nothing it did not check:
 * <ul>
 *   <li>The directory is per user ({@code $XDG_CACHE_HOME/portagent}, else {@code ~/.cache/portagent}),
 *       created 0700, and used only if it is a real directory (not a link) owned by this process's user,
 *       not writable by group or others, in a parent that is not either: never a shared temporary
 *       directory. Otherwise the cache is off and Byte Buddy weaves as if there were none.</li>
 *   <li>An entry is used only if it is a regular file with the same owner and permission rules, its
 *       checksum is right, it names this class and this agent and JDK ({@link #fingerprint}), and it
 *       holds the very bytes the JVM is loading now, compared in full; the file name's CRC only spreads
 *       entries. Anything else is a miss: Byte Buddy weaves, and the entry is written anew.</li>
 * </ul>
 * No method throws: a cache that fails is a cache that misses.
 */
public final class TransformCache {

    private static final byte[] MAGIC = {'P', 'A', 'W', 'O', 'V', 'E', 'N', '1'};
    private static final String SUFFIX = ".woven";
    // Entries of other JDKs and agent builds stay until there are more than this; the oldest go first.
    private static final int MAX_ENTRIES = 64;
    private static final int MAX_ENTRY_BYTES = 4 << 20;

    // Made only when the cache writes (a start that reads it never does): their classes are not in the
    // JDK's shared archive, and on JDK 25 making them costs about 10 ms of start-up (see BENCHMARKS.md).
    private static final class Posix {
        static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIRECTORY =
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
        static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE =
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    }
    // st_mode, as the "unix" attribute view gives it.
    private static final int TYPE_MASK = 0170000;
    private static final int DIRECTORY = 0040000;
    private static final int REGULAR_FILE = 0100000;
    private static final int GROUP_OR_OTHERS_WRITE = 0022;
    private static final int ROOT = 0;
    private static final int NO_UID = -1;
    // What decides the woven bytes besides the class itself, when the agent runs from a directory: the
    // advice, the matchers and the hooks the advice calls (Byte Buddy is then the project's dependency).
    static final String[] WEAVING_CLASSES = {
        "dev/portagent/instrument/PortTransformer.class",
        "dev/portagent/instrument/PortTransformer$Weaver.class",
        "dev/portagent/instrument/Hooks.class",
        "dev/portagent/instrument/Hooks$NetSocketAdvice.class",
        "dev/portagent/instrument/Hooks$NetServerSocketAdvice.class",
        "dev/portagent/instrument/Hooks$NetBindAdvice.class",
        "dev/portagent/instrument/Hooks$NetConnectAdvice.class",
        "dev/portagent/instrument/Hooks$NetLocalAddressAdvice.class",
        "dev/portagent/instrument/Hooks$NioSocketImplAcceptAdvice.class",
        "dev/portagent/instrument/Hooks$SocketChannelAcceptedAdvice.class",
        "dev/portagent/instrument/Hooks$AsyncAcceptedAdvice.class",
        "dev/portagent/instrument/Hooks$DatagramDisconnectAdvice.class",
        "dev/portagent/instrument/Hooks$DatagramBindAdvice.class",
        "dev/portagent/instrument/Hooks$CloseAdvice.class",
        "dev/portagent/bootstrap/PortHooks.class",
    };

    private final Path dir;
    private final String fingerprint;
    // This process's user, looked up at the first use unless a test gives another.
    private volatile int expectedUid;
    // Checked once, at the first target class: a JVM that opens no socket never touches the disk.
    private volatile Boolean usable;
    private volatile String problem;

    TransformCache(Path dir, int expectedUid, String fingerprint) {
        this.dir = dir;
        this.expectedUid = expectedUid;
        this.fingerprint = fingerprint;
    }

    /** The cache in this user's cache directory; nothing is read or checked until it is used. */
    public static TransformCache forThisUser() {
        return new TransformCache(null, NO_UID, null);
    }

    /** The woven bytes for this exact class, or null. */
    public byte[] get(String internalName, byte[] original) {
        try {
            if (!usable()) {
                return null;
            }
            Path file = entry(internalName, original);
            if (!trusted(file, false)) {
                return null;
            }
            byte[] bytes;
            try (SeekableByteChannel in = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                long size = in.size();
                if (size > MAX_ENTRY_BYTES || size < MAGIC.length + 8) {
                    return null;
                }
                bytes = readAll(in, (int) size);
            }
            return decode(bytes, internalName, original, fingerprint());
        } catch (Exception | LinkageError e) {
            return null;
        }
    }

    /** Keeps the woven bytes for the next run; a failure only means the next run weaves again. */
    public void put(String internalName, byte[] original, byte[] woven) {
        try {
            if (!usable()) {
                return;
            }
            writeAtomically(entry(internalName, original),
                    new ByteArrayInputStream(encode(internalName, original, woven, fingerprint())));
            prune("*" + SUFFIX, MAX_ENTRIES);
        } catch (Exception | LinkageError e) {
            // the cache stays as it was
        }
    }

    /** Why the cache is not used, or null while it is (or before its first use). */
    public String problem() {
        return problem;
    }

    /** The checked directory, or null when the cache is off for the reason {@link #problem} gives. */
    Path privateDirectory() {
        return usable() ? dir() : null;
    }

    /** Whether this file is a regular file of this user's that no one else may write. */
    boolean privateFile(Path file) {
        return trusted(file, false);
    }

    /** Writes the file private to this user; readers see the old file or the whole new one, never a part. */
    void writeAtomically(Path file, InputStream content) throws IOException {
        Path temp = writeNew(file.resolveSibling(file.getFileName() + ".tmp"), content);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * A new file beside {@code prefix}, private to this user, under a name no other writer uses (two JVMs
     * starting at once each write their own). Not {@code Files.createTempFile}: its random name initialises
     * SecureRandom, which reads the security properties through a file stream (see {@link #readAll}).
     */
    static Path writeNew(Path prefix, InputStream content) throws IOException {
        Path file = prefix.resolveSibling(prefix.getFileName() + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime());
        try (SeekableByteChannel out = Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), Posix.PRIVATE_FILE)) {
            byte[] buffer = new byte[1 << 16];
            for (int n = content.read(buffer); n >= 0; n = content.read(buffer)) {
                ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return file;
    }

    Path dir() {
        if (dir != null) {
            return dir;
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() && Path.of(xdg).isAbsolute() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("portagent");
    }

    private boolean usable() {
        Boolean known = usable;
        if (known == null) {
            synchronized (this) {
                known = usable;
                if (known == null) {
                    problem = checkDirectory();
                    known = problem == null;
                    usable = known;
                }
            }
        }
        return known;
    }

    /** Creates the directory if it is missing; returns what is wrong with it, or null. */
    private String checkDirectory() {
        try {
            String home = System.getProperty("user.home");
            if (dir == null && (home == null || home.isEmpty() || home.equals("?"))) {
                return "no home directory";
            }
            Path d = dir();
            if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(d.getParent(), Posix.PRIVATE_DIRECTORY);
                try {
                    Files.createDirectory(d, Posix.PRIVATE_DIRECTORY);
                } catch (FileAlreadyExistsException raced) {
                    // another JVM made it meanwhile: checked below like any other
                }
            }
            String parent = ownedAndPrivate(d.getParent().toRealPath(), true, true);
            if (parent != null) {
                return d.getParent() + ": " + parent;
            }
            String self = ownedAndPrivate(d, false, true);
            return self == null ? null : d + ": " + self;
        } catch (Exception | LinkageError e) {
            return String.valueOf(e);
        }
    }

    /**
     * Null when {@code path} is a directory (or regular file) of ours that no one else may write. Read as
     * numbers through the "unix" view: the owner as a {@code UserPrincipal} costs a user-name lookup
     * (getpwuid, which reads /etc/passwd) each time, two per entry, on the thread loading the class.
     */
    private String ownedAndPrivate(Path path, boolean rootMayOwn, boolean directory) throws IOException {
        Map<String, Object> a = Files.readAttributes(path, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        if ((mode & TYPE_MASK) != (directory ? DIRECTORY : REGULAR_FILE)) {
            return directory ? "not a directory (or a symbolic link)" : "not a regular file";
        }
        int uid = (Integer) a.get("uid");
        int mine = expectedUid();
        if (uid != mine && !(rootMayOwn && uid == ROOT)) {
            return "owned by uid " + uid + ", not by this user (uid " + mine + ")";
        }
        if ((mode & GROUP_OR_OTHERS_WRITE) != 0) {
            return "writable by others (mode " + Integer.toOctalString(mode & 07777) + ")";
        }
        return null;
    }

    private boolean trusted(Path file, boolean directory) {
        try {
            return ownedAndPrivate(file, false, directory) == null;
        } catch (IOException e) {
            return false; // most often: not there yet
        }
    }

    private int expectedUid() throws IOException {
        int uid = expectedUid;
        if (uid == NO_UID) {
            // /proc/self belongs to the process's effective user. Without it (not Linux) this throws: no cache.
            uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            expectedUid = uid;
        }
        return uid;
    }

    private Path entry(String internalName, byte[] original) {
        CRC32 crc = new CRC32();
        crc.update(original);
        return dir().resolve(internalName.replace('/', '.') + "-" + Long.toHexString(crc.getValue()) + SUFFIX);
    }

    // Channels, never the streams of Files: on JDK 25 a stream over a channel loads SocketChannelImpl (to ask
    // whether the channel is one), a class this code may be weaving on the same thread.
    private static byte[] readAll(SeekableByteChannel in, int size) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(size);
        while (buffer.hasRemaining() && in.read(buffer) >= 0) {
            // read it all
        }
        return buffer.array();
    }

    /** Keeps the directory small: the oldest files of this kind go when there are more than {@code max}. */
    void prune(String glob, int max) throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir(), glob)) {
            for (Path p : files) {
                entries.add(p);
            }
        }
        if (entries.size() <= max) {
            return;
        }
        entries.sort(Comparator.comparingLong(TransformCache::modified));
        for (Path p : entries.subList(0, entries.size() - max)) {
            Files.deleteIfExists(p);
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    // --- the entry format: magic, fingerprint, class name, original bytes, woven bytes, CRC of all that

    static byte[] encode(String internalName, byte[] original, byte[] woven, String fingerprint) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(original.length + woven.length + 256);
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(MAGIC);
        out.writeUTF(fingerprint);
        out.writeUTF(internalName);
        out.writeInt(original.length);
        out.write(original);
        out.writeInt(woven.length);
        out.write(woven);
        out.flush();
        CRC32 crc = new CRC32();
        crc.update(bytes.toByteArray());
        out.writeLong(crc.getValue());
        out.flush();
        return bytes.toByteArray();
    }

    /** The woven bytes, or null unless everything in the entry is as expected. */
    static byte[] decode(byte[] entry, String internalName, byte[] original, String fingerprint) throws IOException {
        int body = entry.length - 8;
        if (body < MAGIC.length || !Arrays.equals(entry, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return null;
        }
        CRC32 crc = new CRC32();
        crc.update(entry, 0, body);
        if (crc.getValue() != ByteBuffer.wrap(entry, body, 8).getLong()) {
            return null;
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(entry, MAGIC.length, body - MAGIC.length));
        if (!in.readUTF().equals(fingerprint) || !in.readUTF().equals(internalName)) {
            return null;
        }
        byte[] cachedOriginal = readBlock(in);
        if (cachedOriginal == null || !Arrays.equals(cachedOriginal, original)) {
            return null;
        }
        byte[] woven = readBlock(in);
        return woven == null || woven.length == 0 || in.available() != 0 ? null : woven;
    }

    private static byte[] readBlock(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            return null;
        }
        byte[] block = new byte[length];
        in.readFully(block);
        return block;
    }

    private String fingerprint() throws IOException {
        return fingerprint != null ? fingerprint : Fingerprint.VALUE;
    }

    /** This agent build and this JDK: what must match besides the class bytes. Computed once. */
    private static final class Fingerprint {
        static final String VALUE = System.getProperty("java.vm.version") + "|" + System.getProperty("java.home")
                + "|" + agentBuild();

        /**
         * The agent jar's path, inode, size and modification time: one stat, where reading the weaving
         * classes back out of a 7 MB jar costs tens of milliseconds of start-up. A rebuilt or replaced
         * jar is a new build, whatever changed in it (advice, matchers, the shaded Byte Buddy).
         */
        private static String agentBuild() {
            try {
                Path jar = Path.of(TransformCache.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                BasicFileAttributes a = Files.readAttributes(jar, BasicFileAttributes.class);
                if (a.isRegularFile()) {
                    return jar + "|" + a.fileKey() + "|" + a.size() + "|" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
                }
            } catch (Exception e) {
                // not from a jar: fall through
            }
            return "classes|" + weavingClassesCrc();
        }

        // Classes on a directory, as in this project's own tests: whatever decides the woven bytes.
        private static String weavingClassesCrc() {
            CRC32 crc = new CRC32();
            ClassLoader loader = TransformCache.class.getClassLoader();
            for (String name : WEAVING_CLASSES) {
                try (InputStream in = loader.getResourceAsStream(name)) {
                    crc.update(in.readAllBytes());
                } catch (IOException | NullPointerException e) {
                    crc.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            return Long.toHexString(crc.getValue());
        }
    }
}
