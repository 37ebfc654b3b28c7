package dev.portagent.proc;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Apart from {@link ProcNet}: premain reads the ephemeral range and should not load the /proc/net parser. */
final class ProcFile {

    private ProcFile() {
    }

    /**
     * Reads a /proc file in large chunks. Not Files.readAllBytes: /proc files report size 0, so it reads
     * one byte first, and sysctl files answer any read that does not start at offset 0 with EOF. Not
     * Files.newInputStream either: premain reads the ephemeral range, and on JDK 21+ that stream's class
     * loading pulls in sun.nio.ch.SocketChannelImpl, which the agent would then have to instrument.
     */
    static String read(Path file) throws IOException {
        return read(file.toFile());
    }

    static String read(File file) throws IOException {
        try (InputStream in = new FileInputStream(file)) {
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            byte[] chunk = new byte[64 * 1024];
            for (int n; (n = in.read(chunk)) >= 0; ) {
                content.write(chunk, 0, n);
            }
            return content.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
