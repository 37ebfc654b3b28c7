package dev.portagent.sample;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.util.concurrent.ExecutionException;

/** An asynchronous server and client channel talking to each other. */
final class AsyncChannelPair implements AutoCloseable {

    private final AsynchronousServerSocketChannel server;
    private final AsynchronousSocketChannel client;
    private final AsynchronousSocketChannel accepted;

    private AsyncChannelPair(AsynchronousServerSocketChannel server, AsynchronousSocketChannel client,
                             AsynchronousSocketChannel accepted) {
        this.server = server;
        this.client = client;
        this.accepted = accepted;
    }

    static AsyncChannelPair start() throws IOException, InterruptedException, ExecutionException {
        AsynchronousServerSocketChannel server = AsynchronousServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        var accepting = server.accept();
        AsynchronousSocketChannel client = AsynchronousSocketChannel.open();
        client.connect(server.getLocalAddress()).get();
        return new AsyncChannelPair(server, client, accepting.get());
    }

    void ping() throws InterruptedException, ExecutionException {
        client.write(ByteBuffer.wrap(new byte[] {1})).get();
        accepted.read(ByteBuffer.allocate(1)).get();
    }

    @Override
    public void close() throws IOException {
        client.close();
        accepted.close();
        server.close();
    }
}
