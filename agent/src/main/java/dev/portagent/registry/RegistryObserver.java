package dev.portagent.registry;

/**
 * Told about records after the fact, by {@link Registry#digest}: never on the thread that opened or
 * closed the socket. Every open reaches it before the close of the same socket. It must not block,
 * since digest also runs inside readers' snapshots; what it throws is dropped.
 */
public interface RegistryObserver {

    /** The view is taken when delivered, so a socket closed meanwhile already says closed. */
    void opened(SocketView socket);

    void closed(SocketView socket);

    /** A warning the registry did not have before. */
    void warned(Warning warning);
}
