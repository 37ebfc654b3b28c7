package dev.portagent.report;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes a report so that a reader sees the old file or the new one, never half of one. */
public final class ReportFiles {

    /** Report content: stacks reveal the application's internals, so only the owner may read it. */
    private static final String OWNER_ONLY = "rw-------";

    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private ReportFiles() {
    }

    /** Why a report cannot be written to {@code target}, or null when it can (as far as one can tell before). */
    public static String problem(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        if (Files.isDirectory(target)) {
            return target + " is a directory";
        }
        if (dir == null || !Files.isDirectory(dir)) {
            return "directory " + dir + " does not exist";
        }
        if (!Files.isWritable(dir)) {
            return "directory " + dir + " is not writable";
        }
        if (Files.exists(target) && !Files.isWritable(target)) {
            return target + " is not writable";
        }
        // The checks above trust access(2), which says yes to root everywhere, also on /proc or a
        // read-only mount: only creating the temporary file the writer needs tells the truth.
        try {
            Files.delete(createTemp(dir, ".portagent-probe"));
        } catch (IOException | SecurityException e) {
            return "cannot create a file in directory " + dir + " (" + reason(e) + ")";
        }
        return null;
    }

    // Not the message: it names the random probe file, which exists nowhere any more.
    private static String reason(Exception e) {
        if (e instanceof FileSystemException fse) {
            return fse.getReason() != null ? fse.getReason() : fse.getClass().getSimpleName();
        }
        return e.toString();
    }

    public static void writeAtomically(Path target, Content content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Path temp = createTemp(dir, "." + absolute.getFileName());
        try {
            // Not Files.newOutputStream: on JDK 21+ its stream's class loads SocketChannelImpl, which a program
            // without socket channels then loads at exit only to be instrumented (Byte Buddy's 300 ms when the
            // cache does not hold it).
            try (OutputStream out = new FileOutputStream(temp.toFile())) {
                content.writeTo(out);
            }
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * A new file private to this user, under a name no other writer uses. Not {@code Files.createTempFile}: its
     * random name initialises SecureRandom and the security providers, 10-17 ms of a short program's exit.
     */
    private static Path createTemp(Path dir, String prefix) throws IOException {
        Path temp = dir.resolve(prefix + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        try {
            FileAttribute<?> ownerOnly = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(OWNER_ONLY));
            return Files.createFile(temp, ownerOnly);
        } catch (UnsupportedOperationException notPosix) {
            return Files.createFile(temp);
        } catch (FileAlreadyExistsException raced) {
            return createTemp(dir, prefix + "-");
        }
    }
}
