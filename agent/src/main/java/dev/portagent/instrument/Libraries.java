package dev.portagent.instrument;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.jar.JarFile;
import java.util.zip.CRC32;

/**
 * Byte Buddy and Jackson travel as a jar inside the agent jar ({@value #ENTRY}), and join the system class
 * loader's search only when first needed: to weave a class the cache does not hold, to write a JSON report,
 * and in the command line. The JVM reads every entry of the agent jar's directory before premain, twice;
 * the libraries' 4,300 entries cost 6-7 ms of every start (BENCHMARKS.md, round 12).
 *
 * <p>The first {@link #ensure} unpacks the jar into this user's cache directory, under the transform cache's
 * rules (a file there is used only if it is private and holds these very bytes), else into a private
 * temporary file deleted at exit, and appends it to the system class loader's search: the agent's classes
 * that name the libraries resolve them there from then on. Each such class is reached only after
 * {@code ensure} (JarContentIT lists them); a class that tried earlier would keep the failure for good.
 * Run from classes on a directory, as in this project's unit tests, there is no such entry: the libraries
 * are on the class path already.
 */
public final class Libraries {

    static final String ENTRY = "META-INF/portagent/libraries.jar";
    // Old builds' copies beside this one's: a JVM of each may still start.
    private static final int KEEP = 3;

    private static Instrumentation inst;
    private static boolean useCacheDirectory;
    private static boolean ready;
    private static boolean unpacking;
    private static String failure;

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
        } catch (Throwable t) {
            System.err.println(t.getMessage());
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
            byte[] jar;
            try (InputStream in = Libraries.class.getClassLoader().getResourceAsStream(ENTRY)) {
                if (in == null) {
                    ready = true;
                    return;
                }
                jar = in.readAllBytes();
            }
            if (inst == null) {
                throw new IllegalStateException("no Instrumentation was offered");
            }
            Path file = unpack(jar, useCacheDirectory ? TransformCache.forThisUser() : null);
            try (JarFile opened = new JarFile(file.toFile())) {
                inst.appendToSystemClassLoaderSearch(opened);
            }
            ready = true;
        } catch (Exception | LinkageError e) {
            failure = "portagent: its libraries (Byte Buddy, Jackson) could not be unpacked and loaded: " + e;
            throw new IllegalStateException(failure, e);
        } finally {
            unpacking = false;
        }
    }

    /** The file that holds {@code jar}: the cache's copy when it has one, else a new one. */
    static Path unpack(byte[] jar, TransformCache cache) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(jar);
        Path dir = cache == null ? null : cache.privateDirectory();
        if (dir != null) {
            Path file = dir.resolve("libraries-" + Long.toHexString(crc.getValue()) + ".jar");
            if (cache.privateFile(file) && holds(file, jar)) {
                return file;
            }
            cache.writeAtomically(file, jar);
            cache.prune("libraries-*.jar", KEEP);
            return file;
        }
        Path temp = TransformCache.writeNew(Path.of(System.getProperty("java.io.tmpdir"), "portagent-libraries.jar"), jar);
        temp.toFile().deleteOnExit();
        return temp;
    }

    private static boolean holds(Path file, byte[] jar) throws IOException {
        try (SeekableByteChannel in = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            return in.size() == jar.length && Arrays.equals(TransformCache.readAll(in, jar.length), jar);
        }
    }
}
