package dev.portagent.registry;

import dev.portagent.bootstrap.PortListener;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Turns the hooks' events into records. This runs on the application's thread inside every bind,
 * connect, accept and close: it asks the OS only for a port it does not know yet and the JDK is not
 * about to read itself, takes the stack as a raw Throwable (formatted later by {@link Registry#digest})
 * while the {@link StackBudget} allows, and takes no lock.
 */
public final class Recorder implements PortListener {

    private static final Class<?> VIRTUAL_THREAD = virtualThreadClass();

    private final Registry registry;
    private final JdkSockets jdk;
    private final boolean captureStacks;
    private final StackBudget stackBudget;
    private final Stacks.Stack notSampled;
    private final boolean recordAccepted;
    // Not ThreadLocal.withInitial: no lambda in a class that loads in premain.
    private final ThreadLocal<PerThread> perThread = new ThreadLocal<>();

    private static final class PerThread {
        // NioSocketImpl.accept reads the accepted socket's local address before the accept hook sees the
        // socket: the thread's last answer for a socket not known yet waits here for it.
        FileDescriptor answeredFd;
        InetSocketAddress answer;
    }

    // The threads inside DatagramChannelImpl.bindInternal, whose exit records the bind (udpBound), each in a
    // slot by its id, a line apart: one read where a ThreadLocal took a chain of four, on three hooks of
    // every UDP socket. Two threads on one slot at once (ids 64 apart, both binding) is harmless: the one
    // whose mark is gone is recorded by Net.bind's hook, as on a JDK without bindInternal, and its exit then
    // finds no pending entry left to replace.
    private static final int UDP_BIND_SLOTS = 64;
    private static final int SLOT_STRIDE = 16;
    private final AtomicReferenceArray<Thread> udpBinders = new AtomicReferenceArray<>(UDP_BIND_SLOTS * SLOT_STRIDE);

    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same number
    private static int udpBindSlot(Thread t) {
        return (int) (t.getId() & (UDP_BIND_SLOTS - 1)) * SLOT_STRIDE;
    }

    private PerThread perThread() {
        PerThread t = perThread.get();
        if (t == null) {
            t = new PerThread();
            perThread.set(t);
        }
        return t;
    }

    private boolean inUdpBind() {
        Thread t = Thread.currentThread();
        return udpBinders.getOpaque(udpBindSlot(t)) == t;
    }

    /** {@code stackRate}: stacks taken per second at most, 0 for every socket's (see {@link StackBudget}). */
    public Recorder(Registry registry, JdkSockets jdk, int stackDepth, int stackRate, boolean recordAccepted) {
        this.registry = registry;
        this.jdk = jdk;
        this.captureStacks = stackDepth > 0;
        this.stackBudget = new StackBudget(stackRate);
        this.notSampled = Stacks.notSampled(stackRate);
        this.recordAccepted = recordAccepted;
        registry.askJdk(jdk);
    }

    @Override
    public void created(ProtocolFamily family, FileDescriptor fd, boolean udp, boolean listener) {
        registry.pending(fd, udp ? Registry.Pending.UDP : Registry.Pending.LISTENER);
    }

    @Override
    public void bound(ProtocolFamily family, FileDescriptor fd, InetAddress requestedAddress, int requestedPort) {
        if (inUdpBind()) {
            return;
        }
        Object known = known(fd);
        if (known instanceof SocketRecord) {
            // A re-bind of a socket we know: the JDK restores a UDP port lost by disconnect() this way.
            return;
        }
        InetAddress local = requestedAddress;
        int port = requestedPort;
        if (requestedPort == 0) {
            InetSocketAddress actual = jdk.localAddress(fd);
            if (actual != null) {
                local = actual.getAddress();
                port = actual.getPort();
            }
        }
        registry.opened(fd, record(known == Registry.Pending.UDP, family, role(known), local, port, requestedPort,
                requestedPort == 0));
    }

    @Override
    public void boundToAnyPort(ProtocolFamily family, FileDescriptor fd, InetAddress requestedAddress) {
        if (inUdpBind()) {
            return;
        }
        Object known = known(fd);
        if (known instanceof SocketRecord) {
            return; // as in bound()
        }
        registry.await(fd, new Registry.Awaiting(record(known == Registry.Pending.UDP, family, role(known),
                requestedAddress, 0, 0, true), false));
    }

    private static SocketRecord.Role role(Object pending) {
        return pending == Registry.Pending.LISTENER ? SocketRecord.Role.LISTEN : SocketRecord.Role.BIND;
    }

    @Override
    public void connected(ProtocolFamily family, FileDescriptor fd, InetAddress remote, int remotePort, Throwable failure) {
        Object known = known(fd);
        SocketRecord r;
        if (known instanceof SocketRecord) {
            r = (SocketRecord) known;
            r.role = SocketRecord.Role.CONNECT;
            if (failure == null && boundToWildcard(r)) {
                refreshLocalAddress(r, fd);
            }
            r.peer(remote, remotePort);
            registry.connectedBound(r);
        } else {
            // The kernel bound the socket implicitly; it has its port now, even if the connect failed
            // (getsockname still tells it after ECONNREFUSED) or is still in progress.
            InetSocketAddress local = jdk.localAddress(fd);
            r = record(known == Registry.Pending.UDP, family, SocketRecord.Role.CONNECT,
                    local == null ? null : local.getAddress(), local == null ? 0 : local.getPort(), 0, true);
            r.peerBeforeShown(remote, remotePort);
            registry.opened(fd, r);
        }
        if (failure != null && !r.udp) {
            // A failed TCP connect leaves the socket in CLOSE state: it no longer holds the port.
            registry.closed(fd, System.currentTimeMillis(), String.valueOf(failure.getMessage()));
        }
    }

    @Override
    public void connectedAtOnce(ProtocolFamily family, FileDescriptor fd, InetAddress remote, int remotePort) {
        Object known = known(fd);
        if (known instanceof SocketRecord) {
            SocketRecord r = (SocketRecord) known;
            r.role = SocketRecord.Role.CONNECT;
            r.peer(remote, remotePort);
            registry.connectedBound(r);
            if (boundToWildcard(r)) {
                // The kernel chose the local address just now; the answer brings it. Closed meanwhile: no matter.
                registry.await(fd, r, new Registry.Awaiting(r, true));
            }
            return;
        }
        SocketRecord r = record(known == Registry.Pending.UDP, family, SocketRecord.Role.CONNECT, null, 0, 0, true);
        r.peerBeforeShown(remote, remotePort);
        registry.await(fd, new Registry.Awaiting(r, false));
    }

    @Override
    public void localAddress(FileDescriptor fd, InetSocketAddress local) {
        if (inUdpBind()) {
            return;
        }
        Object known = registry.get(fd);
        if (known instanceof Registry.Awaiting) {
            registry.answered(fd, (Registry.Awaiting) known, local);
        } else if (known == null && recordAccepted) {
            PerThread t = perThread();
            t.answeredFd = fd;
            t.answer = local;
        }
    }

    @Override
    public void udpBindStarts() {
        Thread t = Thread.currentThread();
        udpBinders.setOpaque(udpBindSlot(t), t);
    }

    /**
     * One record for the bind, from what the JDK answered, in place of the socket's pending entry: if a close
     * took that entry meanwhile, or the socket was created before the agent, nothing is recorded, as when a
     * hook finds no pending socket.
     */
    @Override
    public void udpBound(ProtocolFamily family, FileDescriptor fd, SocketAddress requested, InetSocketAddress local) {
        // First: whatever fails below, this thread's next binds must be seen.
        Thread t = Thread.currentThread();
        int slot = udpBindSlot(t);
        if (udpBinders.getOpaque(slot) == t) {
            udpBinders.setOpaque(slot, null);
        }
        if (local == null) {
            // The bind failed, or the JDK's answer after it did: the OS says whether the socket has a port.
            local = jdk.localAddress(fd);
            if (local == null || local.getPort() == 0) {
                return;
            }
        }
        int requestedPort = requested instanceof InetSocketAddress ? ((InetSocketAddress) requested).getPort() : 0;
        registry.openedInPlaceOf(fd, Registry.Pending.UDP, record(true, family, SocketRecord.Role.BIND,
                local.getAddress(), local.getPort(), requestedPort, requestedPort == 0));
    }

    /**
     * What the registry holds for the fd. A socket still waiting for the JDK's answer at its next event
     * never got it: the OS is asked now, as before the answer was used, and the event sees the record.
     */
    private Object known(FileDescriptor fd) {
        Object known = registry.get(fd);
        if (known instanceof Registry.Awaiting) {
            registry.answered(fd, (Registry.Awaiting) known, jdk.localAddress(fd));
            known = registry.get(fd);
        }
        return known;
    }

    private static boolean boundToWildcard(SocketRecord r) {
        InetAddress local = r.localAddress;
        return local == null || local.isAnyLocalAddress();
    }

    @Override
    public void disconnected(FileDescriptor fd) {
        Object known = known(fd);
        if (known instanceof SocketRecord) {
            SocketRecord r = (SocketRecord) known;
            r.remoteAddress = null;
            r.remotePort = 0;
            r.role = SocketRecord.Role.BIND;
            // The kernel forgets the address connect chose, unless the code had bound to one.
            refreshLocalAddress(r, fd);
        }
    }

    private void refreshLocalAddress(SocketRecord r, FileDescriptor fd) {
        InetSocketAddress actual = jdk.localAddress(fd);
        if (actual != null) {
            r.localAddress = actual.getAddress();
        }
    }

    @Override
    public void accepted(ProtocolFamily family, FileDescriptor fd, InetSocketAddress local, InetSocketAddress remote) {
        if (!recordAccepted) {
            return;
        }
        if (local == null) {
            local = jdk.localAddress(fd);
        }
        SocketRecord r = record(false, family, SocketRecord.Role.ACCEPT, local == null ? null : local.getAddress(),
                local == null ? 0 : local.getPort(), 0, false);
        r.peerBeforeShown(remote.getAddress(), remote.getPort());
        registry.opened(fd, r);
    }

    @Override
    public void acceptedImpl(Object socketImpl) {
        if (!recordAccepted) {
            return;
        }
        FileDescriptor fd = jdk.implFd(socketImpl);
        InetSocketAddress remote = jdk.implRemote(socketImpl);
        if (fd != null && remote != null) {
            PerThread t = perThread.get();
            InetSocketAddress local = null;
            if (t != null && t.answeredFd == fd) {
                local = t.answer;
                t.answeredFd = null;
                t.answer = null;
            }
            accepted(null, fd, local, remote);
        }
    }

    @Override
    public void closed(FileDescriptor fd) {
        registry.closed(fd, System.currentTimeMillis(), null);
    }

    private SocketRecord record(boolean udp, ProtocolFamily family, SocketRecord.Role role, InetAddress local,
                                int port, int requestedPort, boolean ephemeral) {
        Thread t = Thread.currentThread();
        // With IPv6 available the JDK makes every socket AF_INET6 unless it was asked for INET.
        boolean ipv6 = jdk.ipv6Available() && family != StandardProtocolFamily.INET;
        long id = registry.nextId();
        long now = System.currentTimeMillis();
        Object stack = null;
        if (captureStacks) {
            stack = stackBudget.take(now, id, role == SocketRecord.Role.LISTEN || requestedPort != 0)
                    ? new Throwable() : notSampled;
        }
        return new SocketRecord(id, udp, ipv6, role, local, port, requestedPort, ephemeral,
                registry.ephemeralRange().contains(port), now, t,
                VIRTUAL_THREAD != null && VIRTUAL_THREAD.isInstance(t), stack);
    }

    private static Class<?> virtualThreadClass() {
        try {
            return Class.forName("java.lang.VirtualThread", false, null);
        } catch (ClassNotFoundException e) {
            return null; // JDK 17-20
        }
    }
}
