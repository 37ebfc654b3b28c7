package dev.portagent.instrument;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.CRC32;

/**
 * Byte Buddy and Jackson travel as a jar inside the agent jar ({@value #ENTRY}), and join the system class
 * loader's search only when first needed: to weave a class the cache does not hold, and in the command line
 * (the report is written without them). The JVM reads every entry of the agent jar's directory before
 * premain: the libraries' 4,300 entries cost 6-7 ms of every start (BENCHMARKS.md, round 12).
 *
 * <p>The first {@link #ensure} unpacks the jar into this user's cache directory, under the transform cache's
 * rules (a file there is used only if it is private and its size and checksum are the entry's), else into a
 * private temporary file deleted at exit (in {@code java.io.tmpdir}, else {@code /dev/shm}), and appends it to
 * the system class loader's search: the agent's classes that name the libraries resolve them there from then
 * on. Each such class is reached only after {@code ensure} (JarContentIT lists them); a class that tried
 * earlier would keep the failure for good.
 * Run from classes on a directory, as in this project's unit tests, there is no such entry: the libraries
 * are on the class path already.
 */
public final class Libraries {

    static final String ENTRY = "META-INF/portagent/libraries.jar";
    // Old builds' copies beside this one's: a JVM of each may still start.
    private static final int KEEP = 3;
    // Where a container with a read-only root file system most often still lets a process write a file.
    private static final Path SHARED_MEMORY = Path.of("/dev/shm");

    private static Instrumentation inst;
    private static boolean useCacheDirectory;
    private static boolean ready;
    private static boolean unpacking;
    private static String failure;
    private static JarFile appended;

    private Libraries() {
    }

    /**
     * The jar's {@code Launcher-Agent-Class}: {@code java -jar portagent.jar} runs this before it loads the
     * command line's main class, which names Jackson.
     */
    public static void agentmain(String args, Instrumentation inst) {
        try {
            offer(inst, true);
            ensure();
        } catch (IllegalStateException e) {
            // ensure() has said why
        } catch (Throwable t) {
            System.err.println("portagent: its libraries could not be loaded: " + t);
        }
    }

    /** What {@link #ensure} will append with; {@code useCacheDirectory} false: a temporary file. */
    public static synchronized void offer(Instrumentation inst, boolean useCacheDirectory) {
        if (Libraries.inst == null) {
            Libraries.inst = inst;
            Libraries.useCacheDirectory = useCacheDirectory;
        }
    }

    /** Makes the libraries loadable, once; every later call after a failure throws the same message. */
    public static synchronized void ensure() {
        if (ready) {
            return;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
        if (unpacking) {
            // A socket class loaded by the unpacking itself, on this thread: it is left as it is until the start
            // thread's rescan. Said, because it is our bug (TransformCacheIT weaves beside an unpacked copy).
            System.err.println("portagent: internal error: loading its libraries loaded one of the JDK's socket"
                    + " classes; please report it");
            throw new IllegalStateException("portagent: its libraries are being loaded by this thread");
        }
        unpacking = true;
        try {
            Path agentJar = Path.of(Libraries.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(agentJar)) {
                ready = true; // classes on a directory
                return;
            }
            try (JarFile outer = new JarFile(agentJar.toFile())) {
                JarEntry entry = outer.getJarEntry(ENTRY);
                if (entry == null) {
                    ready = true; // a jar built without them nested: they are in it
                    return;
                }
                if (inst == null) {
                    throw new IllegalStateException("no Instrumentation was offered");
                }
                Path file = unpack(outer, entry, useCacheDirectory ? TransformCache.forThisUser() : null,
                        List.of(Path.of(System.getProperty("java.io.tmpdir")), SHARED_MEMORY));
                JarFile libraries = new JarFile(file.toFile());
                inst.appendToSystemClassLoaderSearch(libraries);
                // Kept open for good: the class path opens the same file and shares this one's reading of its
                // directory (4,300 entries) instead of reading it again.
                appended = libraries;
            }
            ready = true;
        } catch (Exception | LinkageError e) {
            failure = "portagent: its libraries (Byte Buddy, Jackson) could not be unpacked and loaded (" + e
                    + "): JDK socket classes not instrumented yet stay as they are (the /proc scan finds their"
                    + " sockets), and the command line cannot run";
            // Said here, once: the weave that asked only records its error.
            System.err.println(failure);
            throw new IllegalStateException(failure, e);
        } finally {
            unpacking = false;
        }
    }

    /**
     * The file that holds the entry's bytes: the cache's copy when it has one (private, of the entry's size and
     * checksum, both read from the agent jar's directory), else a new one there, else a new one in the first
     * of the temporary directories that takes it.
     */
    static Path unpack(JarFile outer, JarEntry entry, TransformCache cache, List<Path> temporary) throws IOException {
        IOException failed = null;
        Path dir = cache == null ? null : cache.privateDirectory();
        if (dir != null) {
            Path file = dir.resolve("libraries-" + Long.toHexString(entry.getCrc()) + ".jar");
            if (cache.privateFile(file) && holds(file, entry.getSize(), entry.getCrc())) {
                return file;
            }
            try (InputStream in = outer.getInputStream(entry)) {
                cache.writeAtomically(file, in);
                cache.prune("libraries-*.jar", KEEP);
                return file;
            } catch (IOException e) {
                failed = e; // a full disk, say: a temporary file may still do
            }
        }
        for (Path place : temporary) {
            try (InputStream in = outer.getInputStream(entry)) {
                Path temp = TransformCache.writeNew(place.resolve("portagent-libraries.jar"), in);
                temp.toFile().deleteOnExit();
                return temp;
            } catch (IOException e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        throw failed != null ? failed : new IOException("nowhere to unpack them");
    }

    private static boolean holds(Path file, long size, long crc) throws IOException {
        try (SeekableByteChannel in = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            if (in.size() != size) {
                return false;
            }
            // Direct: the checksum is computed where the file's bytes land, with no copy into the heap.
            ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 16);
            CRC32 actual = new CRC32();
            while (in.read(buffer) >= 0) {
                buffer.flip();
                actual.update(buffer);
                buffer.clear();
            }
            return actual.getValue() == crc;
        }
    }
}
