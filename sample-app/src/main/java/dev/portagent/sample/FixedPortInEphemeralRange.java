package dev.portagent.sample;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A server on a fixed port that lies inside the OS ephemeral range: the kernel may hand the same port
 * to an outgoing connection first, and then this bind fails with "Address already in use".
 * portagent warns about it.
 */
final class FixedPortInEphemeralRange implements AutoCloseable {

    private static final int PREFERRED = 45678;

    private final ServerSocket server;
    private final Thread acceptor;

    private FixedPortInEphemeralRange(ServerSocket server) {
        this.server = server;
        this.acceptor = new Thread(this::acceptAndDrop, "fixed-port-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static FixedPortInEphemeralRange start() throws IOException {
        for (int port = PREFERRED; port < PREFERRED + 100; port++) {
            try {
                return new FixedPortInEphemeralRange(new ServerSocket(port, 50, InetAddress.getLoopbackAddress()));
            } catch (BindException taken) {
                // The very problem this class demonstrates; try the next one.
            }
        }
        throw new BindException("no free port from " + PREFERRED);
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptAndDrop() {
        while (!server.isClosed()) {
            try (Socket accepted = server.accept()) {
                accepted.getInputStream().read();
            } catch (IOException closed) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
