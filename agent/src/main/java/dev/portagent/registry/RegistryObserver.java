package dev.portagent.registry;

import java.net.InetAddress;

/**
 * Told about records after the fact, by {@link Registry#digest}: never on the thread that opened or
 * closed the socket. Every open reaches it before the close of the same socket. It must not block,
 * since digest also runs inside readers' snapshots; what it throws is dropped.
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
     * protocol tcp, role connect, ephemeral, and a remote address. Told before {@link #opened} for the
     * same socket, whether or not that is wanted, and without a view: {@code remote} and {@code ipv6Socket}
     * are what {@link Registry#address} formats into the view's remote address.
     */
    default void connectionOpened(InetAddress remote, boolean ipv6Socket, int remotePort, long openedAt) {
    }

    /** Such a connection was closed; {@code failed} when its view has an error (a refused or failed connect). */
    default void connectionClosed(InetAddress remote, boolean ipv6Socket, int remotePort, long closedAt,
                                  boolean failed) {
    }

    /** The view is taken when delivered, so a socket closed meanwhile already says closed. */
    void opened(SocketView socket);

    void closed(SocketView socket);

    /** A warning the registry did not have before. */
    void warned(Warning warning);
}
