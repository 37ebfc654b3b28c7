package dev.portagent.sample;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.channels.SocketChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Connections opened and never closed: the report shows them open, with their age and the line that
 * opened them. (SocketChannel has no Cleaner: a leaked one holds its port until the process ends.)
 */
final class LeakyConnections {

    private static final List<SocketChannel> FORGOTTEN = new ArrayList<>();

    private LeakyConnections() {
    }

    static void leak(int port, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            FORGOTTEN.add(SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
        }
    }
}
