package dev.portagent.instrument;

import dev.portagent.bootstrap.PortListener;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;

/**
 * A test hook, never an option: with {@code -Dportagent.testHook.failRecorder=exception} (or
 * {@code error}) every hook call fails, and the end-to-end tests prove that the application's sockets
 * still all work. It stays in the product so that the artifact users run is the artifact tested.
 */
final class FailingListener implements PortListener {

    static final String PROPERTY = "portagent.testHook.failRecorder";

    private final boolean error;

    private FailingListener(boolean error) {
        this.error = error;
    }

    /** The listener to install: {@code real}, or a failing one when the test hook asks for it. */
    static PortListener wrap(PortListener real) {
        String mode = System.getProperty(PROPERTY);
        if ("exception".equals(mode) || "error".equals(mode)) {
            return new FailingListener("error".equals(mode));
        }
        return real;
    }

    private RuntimeException fail() {
        if (error) {
            throw new OutOfMemoryError("portagent test hook: the recorder fails on every call");
        }
        return new IllegalStateException("portagent test hook: the recorder fails on every call");
    }

    @Override
    public void created(ProtocolFamily family, FileDescriptor fd, boolean udp, boolean listener) {
        throw fail();
    }

    @Override
    public void bound(ProtocolFamily family, FileDescriptor fd, InetAddress requestedAddress, int requestedPort) {
        throw fail();
    }

    @Override
    public void connected(ProtocolFamily family, FileDescriptor fd, InetAddress remote, int remotePort, Throwable failure) {
        throw fail();
    }

    @Override
    public void boundToAnyPort(ProtocolFamily family, FileDescriptor fd, InetAddress requestedAddress) {
        throw fail();
    }

    @Override
    public void connectedAtOnce(ProtocolFamily family, FileDescriptor fd, InetAddress remote, int remotePort) {
        throw fail();
    }

    @Override
    public void localAddress(FileDescriptor fd, InetSocketAddress local) {
        throw fail();
    }

    @Override
    public void disconnected(FileDescriptor fd) {
        throw fail();
    }

    @Override
    public void accepted(ProtocolFamily family, FileDescriptor fd, InetSocketAddress local, InetSocketAddress remote) {
        throw fail();
    }

    @Override
    public void acceptedImpl(Object socketImpl) {
        throw fail();
    }

    @Override
    public void closed(FileDescriptor fd) {
        throw fail();
    }

    @Override
    public void udpBindStarts() {
        throw fail();
    }

    @Override
    public void udpBound(ProtocolFamily family, FileDescriptor fd, SocketAddress requested, InetSocketAddress local) {
        throw fail();
    }
}
