package dev.portagent.registry;

/**
 * Told about records after the fact, by {@link Registry#digest}: never on the thread that opened or
 * closed the socket. Every open reaches it before the close of the same socket. It must not block,
 * since digest also runs inside readers' snapshots; what it throws is dropped.
 */
public interface RegistryObserver {

    /**
     * Whether {@link #opened} and {@link #closed} need to see a socket of this protocol, role (as in
     * {@link SocketView#role}) and kind, asked when it is delivered. A view formats the socket's
     * addresses, most of the digester's work for a socket: the registry makes one only when wanted.
     */
    default boolean wants(boolean udp, String role, boolean ephemeral) {
        return true;
    }

    /** The view is taken when delivered, so a socket closed meanwhile already says closed. */
    void opened(SocketView socket);

    void closed(SocketView socket);

    /** A warning the registry did not have before. */
    void warned(Warning warning);
}
