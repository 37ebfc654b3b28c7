package dev.portagent.jmx;

import dev.portagent.proc.EphemeralRange;
import dev.portagent.registry.FakeKernel;
import dev.portagent.registry.Recorder;
import dev.portagent.registry.Registry;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;

/** Drives a real Registry through the public Recorder, as the hooks do, without real sockets. */
final class FakeSockets {

    static final EphemeralRange RANGE = new EphemeralRange(40000, 40099, "test");

    final Registry registry = new Registry(RANGE, 8, 100, () -> 0L);
    final Recorder recorder = new Recorder(registry, new FakeKernel(false, RANGE.low()), 8, 0, true);

    FileDescriptor listen(int port) {
        FileDescriptor fd = new FileDescriptor();
        recorder.created(StandardProtocolFamily.INET, fd, false, true);
        recorder.bound(StandardProtocolFamily.INET, fd, loopback(), port);
        return fd;
    }

    FileDescriptor udp(int port) {
        FileDescriptor fd = new FileDescriptor();
        recorder.created(StandardProtocolFamily.INET, fd, true, false);
        recorder.bound(StandardProtocolFamily.INET, fd, loopback(), port);
        return fd;
    }

    FileDescriptor connect(String remote, int remotePort) {
        FileDescriptor fd = new FileDescriptor();
        recorder.connected(StandardProtocolFamily.INET, fd, address(remote), remotePort, null);
        return fd;
    }

    FileDescriptor refused(String remote, int remotePort) {
        FileDescriptor fd = new FileDescriptor();
        recorder.connected(StandardProtocolFamily.INET, fd, address(remote), remotePort,
                new java.net.ConnectException("Connection refused"));
        return fd;
    }

    FileDescriptor accept(int listenerPort, int clientPort) {
        FileDescriptor fd = new FileDescriptor();
        recorder.accepted(StandardProtocolFamily.INET, fd, new InetSocketAddress(loopback(), listenerPort),
                new InetSocketAddress(loopback(), clientPort));
        return fd;
    }

    void close(FileDescriptor fd) {
        recorder.closed(fd);
    }

    static InetAddress loopback() {
        return InetAddress.getLoopbackAddress();
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
