package dev.portagent.bootstrap;

import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;

/**
 * What the hooks in java.base report to. Lives in the boot class loader with {@link PortHooks}, so it
 * may name JDK types only; the agent's recorder implements it from the application class loader.
 */
public interface PortListener {

    // family is the ProtocolFamily the JDK was given (null when unspecified): with IPv6 available,
    // anything but INET makes the JDK create a dual-stack AF_INET6 socket.

    /** A socket was created whose kind a later bind cannot tell: a UDP socket, or a TCP listener. */
    void created(ProtocolFamily family, FileDescriptor fd, boolean udp, boolean listener);

    /** For a port 0 the listener asks the OS which port the kernel chose. */
    void bound(ProtocolFamily family, FileDescriptor fd, InetAddress requestedAddress, int requestedPort);

    /** {@code failure} is null when the connect succeeded or is still in progress; the listener asks the OS for the port. */
    void connected(ProtocolFamily family, FileDescriptor fd, InetAddress remote, int remotePort, Throwable failure);

    /**
     * A bind to port 0, or a connect that completed at once: the JDK reads the socket's local address
     * right after, on the same thread (Net.localAddress in every caller of Net.bind and, after a
     * completed connect, of Net.connect, in JDK 17 and 25), and {@link #localAddress} brings its
     * answer. The listener need not ask the OS a second time.
     */
    void boundToAnyPort(ProtocolFamily family, FileDescriptor fd, InetAddress requestedAddress);

    /** See {@link #boundToAnyPort}. */
    void connectedAtOnce(ProtocolFamily family, FileDescriptor fd, InetAddress remote, int remotePort);

    /** What the JDK's own Net.localAddress(fd) answered, for whatever reason it asked. */
    void localAddress(FileDescriptor fd, InetSocketAddress local);

    void disconnected(FileDescriptor fd);

    /**
     * A UDP socket's bind begins (DatagramChannelImpl.bindInternal, JDK 17 and 25): until {@link #udpBound}
     * on this thread, its Net.bind and Net.localAddress are that bind's, which {@link #udpBound} records.
     */
    void udpBindStarts();

    /**
     * The bind of {@link #udpBindStarts} ended. {@code local} is what the JDK's own Net.localAddress answered,
     * null when the bind or that answer failed; {@code requested} what the code asked for (null: any port).
     */
    void udpBound(ProtocolFamily family, FileDescriptor fd, SocketAddress requested, InetSocketAddress local);

    /** {@code local} may be null when the JDK could not tell; the recorder then asks the OS. */
    void accepted(ProtocolFamily family, FileDescriptor fd, InetSocketAddress local, InetSocketAddress remote);

    /** An accepted {@code java.net.Socket}: the fields are read from the impl by the recorder. */
    void acceptedImpl(Object socketImpl);

    void closed(FileDescriptor fd);
}
