package dev.portagent.sample;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;

/**
 * A DatagramChannel that never calls bind: its first send makes the kernel pick a port, an implicit
 * bind that portagent records as ephemeral.
 */
final class UdpSender implements AutoCloseable {

    private final DatagramChannel receiver;
    private final DatagramChannel sender;
    private final ByteBuffer inbox = ByteBuffer.allocate(512);

    private UdpSender(DatagramChannel receiver, DatagramChannel sender) {
        this.receiver = receiver;
        this.sender = sender;
    }

    static UdpSender start() throws IOException {
        DatagramChannel receiver = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return new UdpSender(receiver, DatagramChannel.open());
    }

    void send(String message) throws IOException {
        sender.send(ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), receiver.getLocalAddress());
        inbox.clear();
        receiver.receive(inbox);
    }

    @Override
    public void close() throws IOException {
        sender.close();
        receiver.close();
    }
}
