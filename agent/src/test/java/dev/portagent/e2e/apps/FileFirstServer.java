package dev.portagent.e2e.apps;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@link ReadyServer} after reading a file through {@code Files.newInputStream}, twice: on JDK 25 the first
 * read loads SocketChannelImpl (its stream asks whether the channel is a socket channel), so the first of the
 * JDK's socket classes is loaded by a file read, and the second read fails if that load failed.
 */
public final class FileFirstServer {

    public static void main(String[] args) throws IOException {
        Path file = Path.of(System.getProperty("java.home"), "release");
        for (int i = 0; i < 2; i++) {
            try (InputStream in = Files.newInputStream(file)) {
                in.read();
            }
        }
        ReadyServer.main(args);
    }
}
