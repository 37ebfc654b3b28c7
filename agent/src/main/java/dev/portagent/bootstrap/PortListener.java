package dev.portagent.bootstrap;

import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;

/**
 * What the hooks in java.base report to. Lives in the boot class loader with {@link PortHooks}, so it
 * may name JDK types only; the agent's recorder implements it from the application class loader.
 */
public interface PortListener {

    // family is the ProtocolFamily the JDK was given (null when unspecified): with IPv6 available,
    // anything but INET makes the JDK create a dual-stack AF_INET6 socket.

    /** A socket was created whose kind a later bind cannot tell: a UDP socket, or a TCP listener. */
    void created(ProtocolFamily family, FileDescriptor fd, boolean udp, boolean listener);

    void bound(ProtocolFamily family, FileDescriptor fd, InetAddress requestedAddress, int requestedPort);

    /** {@code failure} is null when the connect succeeded or is still in progress. */
    void connected(ProtocolFamily family, FileDescriptor fd, InetAddress remote, int remotePort, Throwable failure);

    void disconnected(FileDescriptor fd);

    /** {@code local} may be null when the JDK could not tell; the recorder then asks the OS. */
    void accepted(ProtocolFamily family, FileDescriptor fd, InetSocketAddress local, InetSocketAddress remote);

    /** An accepted {@code java.net.Socket}: the fields are read from the impl by the recorder. */
    void acceptedImpl(Object socketImpl);

    void closed(FileDescriptor fd);
}
