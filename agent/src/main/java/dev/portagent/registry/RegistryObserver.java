package dev.portagent.registry;

import java.net.InetAddress;

/**
 * Told about records after the fact, by {@link Registry#digest}: never on the thread that opened or
 * closed the socket. Every open reaches it before the close of the same socket. It must not block,
 * since digest also runs inside readers' snapshots; what it throws is dropped. The connection calls
 * are the exception: see {@link #connectionOpened}.
 */
public interface RegistryObserver {

    /**
     * Whether {@link #opened} and {@link #closed} need to see a socket of this protocol, role (as in
     * {@link SocketView#role}) and kind, asked when an open is delivered and, for a close, on the closing
     * thread (a close nobody hears of is not queued): it must be quick and must not block. A view formats
     * the socket's addresses, most of the digester's work for a socket: the registry makes one only when
     * wanted.
     */
    default boolean wants(boolean udp, String role, boolean ephemeral) {
        return true;
    }

    /**
     * An outgoing TCP connection whose local port the OS chose was opened: a socket whose view would say
     * protocol tcp, role connect, ephemeral, and a remote address; {@code remote} and {@code ipv6Socket}
     * are what {@link Registry#address} formats into the view's remote address. Told at once, on the
     * thread that connected (or that found the connection in /proc), at every connection: it must be
     * quick and take no lock the application's threads share. Returns what names the connection to
     * {@link #connectionClosed}, or null to hear nothing of its close.
     */
    default Object connectionOpened(InetAddress remote, boolean ipv6Socket, int remotePort) {
        return null;
    }

    /**
     * The connection that {@link #connectionOpened} named {@code connection} was closed: once, after that
     * call returned, on the thread that closed it or that connected (when the two raced). {@code failed}
     * when its view has an error (a refused or failed connect), or when it turned out to be another
     * record's socket: no TIME_WAIT follows.
     */
    default void connectionClosed(Object connection, long closedAt, boolean failed) {
    }

    /** The view is taken when delivered, so a socket closed meanwhile already says closed. */
    void opened(SocketView socket);

    void closed(SocketView socket);

    /** A warning the registry did not have before. */
    void warned(Warning warning);
}
