package dev.portagent.registry;

import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The JDK internals as the recorder sees them, for tests without real sockets: getsockname answers
 * the port a test gave the fd, or the next ephemeral port from {@code firstEphemeral} on.
 */
public final class FakeKernel implements JdkSockets {

    public static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** The peer of every accepted java.net.Socket; the "impl" of such a socket is its FileDescriptor. */
    public static final InetSocketAddress ACCEPTED_PEER = new InetSocketAddress(LOOPBACK, 40000);

    private final Map<FileDescriptor, InetSocketAddress> bound = new IdentityHashMap<>();
    private final Map<FileDescriptor, Integer> numbers = new IdentityHashMap<>();
    private int nextNumber = 3;
    private final boolean ipv6;
    private int nextEphemeral;
    private int asked;

    public FakeKernel(boolean ipv6, int firstEphemeral) {
        this.ipv6 = ipv6;
        this.nextEphemeral = firstEphemeral;
    }

    /** A new socket that the kernel will say is on {@code port}. */
    public FileDescriptor socketOn(int port) {
        FileDescriptor fd = new FileDescriptor();
        bound.put(fd, new InetSocketAddress(LOOPBACK, port));
        return fd;
    }

    /** From now on the kernel says {@code fd} is on {@code address}, as after a connect or disconnect. */
    public synchronized void put(FileDescriptor fd, InetSocketAddress address) {
        bound.put(fd, address);
    }

    /** getsockname as the recorder calls it: counted, see {@link #asked}. */
    @Override
    public synchronized InetSocketAddress localAddress(FileDescriptor fd) {
        asked++;
        return jdkReads(fd);
    }

    /** getsockname as the JDK calls it itself (its own Net.localAddress): not the recorder's, not counted. */
    public synchronized InetSocketAddress jdkReads(FileDescriptor fd) {
        return bound.computeIfAbsent(fd, f -> new InetSocketAddress(LOOPBACK, nextEphemeral++));
    }

    /** How often the recorder asked the OS for a socket's local address. */
    public synchronized int asked() {
        return asked;
    }

    @Override
    public boolean ipv6Available() {
        return ipv6;
    }

    @Override
    public FileDescriptor implFd(Object socketImpl) {
        return (FileDescriptor) socketImpl;
    }

    @Override
    public InetSocketAddress implRemote(Object socketImpl) {
        return ACCEPTED_PEER;
    }

    /** fd numbers from 3 on, one per socket and never given out again, unless a test asks {@link #onNumberOf}. */
    @Override
    public synchronized int fdVal(FileDescriptor fd) {
        return numbers.computeIfAbsent(fd, f -> nextNumber++);
    }

    /** A new socket on the number of {@code old}, as the kernel hands out a closed number again at once. */
    public synchronized FileDescriptor onNumberOf(FileDescriptor old) {
        return onNumber(fdVal(old));
    }

    /** A new socket on fd number {@code number}; negative: a FileDescriptor without one. */
    public synchronized FileDescriptor onNumber(int number) {
        FileDescriptor fd = new FileDescriptor();
        numbers.put(fd, number);
        return fd;
    }

    /** From now on {@code fd} has no number, as a FileDescriptor some close paths of a JDK may have reset. */
    public synchronized void loseNumber(FileDescriptor fd) {
        numbers.put(fd, -1);
    }
}
