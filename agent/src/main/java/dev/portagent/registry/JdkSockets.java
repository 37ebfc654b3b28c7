package dev.portagent.registry;

import java.io.FileDescriptor;
import java.net.InetSocketAddress;

/** What the recorder asks of the JDK's socket internals; the instrumentation provides it. */
public interface JdkSockets {

    /** getsockname(2) of a socket, or null when the OS cannot tell (the fd is already closed). */
    InetSocketAddress localAddress(FileDescriptor fd);

    /** Whether the JDK creates AF_INET6 sockets unless told {@code StandardProtocolFamily.INET}. */
    boolean ipv6Available();

    FileDescriptor implFd(Object socketImpl);

    /** The descriptor's number, -1 once it is closed. Off the socket path only: the Reconciler uses it. */
    int fdVal(FileDescriptor fd);

    InetSocketAddress implRemote(Object socketImpl);
}
