package dev.portagent.registry;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;

/**
 * One port held by one socket. Written by the thread that opened it and later by the thread that
 * closes it; readers take copies through {@link Registry#snapshot}. Kept small: an application may
 * hold a hundred thousand of these.
 */
final class SocketRecord {

    // For plain stores where a record is made and shown, and a release store where it closes. A record
    // reaches other threads only through a compare-and-set or a volatile store (the open sockets, the
    // digester's and the observer's queues, the history ring), which orders these stores before it; a
    // volatile store is a full fence on x86, and the socket path made three to five of them a socket.
    private static final VarHandle ROLE;
    private static final VarHandle LOCAL_ADDRESS;
    private static final VarHandle REMOTE_ADDRESS;
    private static final VarHandle REMOTE_PORT;
    private static final VarHandle STACK;
    private static final VarHandle CLOSED_AT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ROLE = l.findVarHandle(SocketRecord.class, "role", Role.class);
            LOCAL_ADDRESS = l.findVarHandle(SocketRecord.class, "localAddress", InetAddress.class);
            REMOTE_ADDRESS = l.findVarHandle(SocketRecord.class, "remoteAddress", InetAddress.class);
            REMOTE_PORT = l.findVarHandle(SocketRecord.class, "remotePort", int.class);
            STACK = l.findVarHandle(SocketRecord.class, "stack", Object.class);
            CLOSED_AT = l.findVarHandle(SocketRecord.class, "closedAt", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final long id;
    final boolean udp;
    final boolean ipv6;
    /**
     * Set before the record is shown: at its creation, or for a socket that waited for the JDK's own
     * Net.localAddress, by {@link Registry#answered} before the registry publishes it.
     */
    int localPort;
    final int requestedPort;
    final boolean ephemeral;
    /** Set with {@link #localPort}. */
    boolean inEphemeralRange;
    final long openedAt;
    final String thread;
    final long threadId;
    final boolean virtual;
    /** {@link SocketView#AGENT} for a hook's record; the others come from /proc ({@link Reconciler}). */
    final String origin;

    volatile Role role;
    /** Changes when a socket bound to the wildcard address connects: the kernel then picks the address. */
    volatile InetAddress localAddress;
    volatile InetAddress remoteAddress;
    volatile int remotePort;
    volatile long closedAt;
    volatile String error;
    /** The raw {@link Throwable} until the digester resolves it into a shared {@link Stacks.Stack}. */
    volatile Object stack;
    /**
     * For an outgoing TCP connection the observer counts: what it named the connection, then
     * {@link Registry#CONNECTION_ENDED} once closed. Null before, and for every other socket. Set by
     * compare-and-set, because the connect and the close of one socket may race on two threads.
     */
    volatile Object connection;
    /**
     * The socket's inode as a /proc pass read it through fd number {@link #procFd} (-1: not read), so that
     * later passes need not read that link again. Unsigned: the kernel numbers sockets with 32 bits. Only
     * the {@link Reconciler}, under its lock, uses them.
     */
    int procFd = -1;
    int procInode;

    enum Role {
        LISTEN, CONNECT, ACCEPT, BIND;

        final String json = name().toLowerCase(java.util.Locale.ROOT);
    }

    SocketRecord(long id, boolean udp, boolean ipv6, Role role, InetAddress localAddress, int localPort,
                 int requestedPort, boolean ephemeral, boolean inEphemeralRange, long openedAt, Thread thread,
                 boolean virtual, Object stack) {
        this(id, udp, ipv6, role, localAddress, localPort, requestedPort, ephemeral, inEphemeralRange, openedAt,
                thread.getName(), thread.getId(), virtual, stack, SocketView.AGENT);
    }

    /** A socket found in /proc that no hook saw: no thread, no requested port, a stack that only says why. */
    SocketRecord(long id, boolean udp, boolean ipv6, Role role, InetAddress localAddress, int localPort,
                 boolean ephemeral, boolean inEphemeralRange, long foundAt, String origin, Stacks.Stack stack) {
        this(id, udp, ipv6, role, localAddress, localPort, 0, ephemeral, inEphemeralRange, foundAt, null, 0, false,
                stack, origin);
    }

    private SocketRecord(long id, boolean udp, boolean ipv6, Role role, InetAddress localAddress, int localPort,
                         int requestedPort, boolean ephemeral, boolean inEphemeralRange, long openedAt, String thread,
                         long threadId, boolean virtual, Object stack, String origin) {
        this.id = id;
        this.udp = udp;
        this.ipv6 = ipv6;
        ROLE.set(this, role);
        LOCAL_ADDRESS.set(this, localAddress);
        this.localPort = localPort;
        this.requestedPort = requestedPort;
        this.ephemeral = ephemeral;
        this.inEphemeralRange = inEphemeralRange;
        this.openedAt = openedAt;
        this.thread = thread;
        this.threadId = threadId;
        this.virtual = virtual;
        STACK.set(this, stack);
        this.origin = origin;
    }

    /** By the one thread whose removal from the open sockets returned this record. */
    void close(long at, String failure) {
        if (failure != null) {
            error = failure;
        }
        CLOSED_AT.setRelease(this, at);
    }

    boolean closed() {
        return closedAt != 0;
    }

    /**
     * Socket and SocketChannel turn a wildcard destination into a loopback address; the asynchronous and
     * datagram channels pass it on, and Linux then connects to the loopback address it also takes as
     * the source, which is what /proc and ss show as the peer.
     */
    void peer(InetAddress remote, int port) {
        remoteAddress = peerAddress(remote);
        remotePort = port;
    }

    /** {@link #peer} of a record no other thread has seen yet. */
    void peerBeforeShown(InetAddress remote, int port) {
        REMOTE_ADDRESS.set(this, peerAddress(remote));
        REMOTE_PORT.set(this, port);
    }

    private InetAddress peerAddress(InetAddress remote) {
        InetAddress local = localAddress;
        boolean toWildcard = remote != null && remote.isAnyLocalAddress() && local != null && local.isLoopbackAddress();
        return toWildcard ? local : remote;
    }
}
