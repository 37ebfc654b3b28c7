package dev.portagent.sample;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A new connection for every request, closed right after: every request takes a fresh ephemeral
 * port, and each one then waits out TIME_WAIT. This is the pattern that exhausts ephemeral ports.
 */
final class ChurningClient {

    private final int port;

    ChurningClient(int port) {
        this.port = port;
    }

    void request() throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
             OutputStream out = socket.getOutputStream();
             InputStream in = socket.getInputStream()) {
            out.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in.readAllBytes();
        }
    }
}
