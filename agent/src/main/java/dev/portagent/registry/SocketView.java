package dev.portagent.registry;

import java.util.List;

/**
 * An immutable copy of one record, in the report's field names. Times are epoch milliseconds;
 * closedAt is 0 and remoteAddress null where they do not apply. site and stack are null and empty
 * when stack capture is off; a record the stack budget left out has a site that says so and no
 * stack. A record of another {@code origin} than {@link #AGENT} has no thread (null), no requested
 * port (0), openedAt the time portagent found it, and a site that says where it came from.
 */
public record SocketView(long id, String protocol, String role, String family, String localAddress, int localPort,
                         String remoteAddress, int remotePort, int requestedPort, boolean ephemeral,
                         boolean inEphemeralRange, String state, long openedAt, long closedAt, String thread,
                         long threadId, boolean virtual, String site, List<String> stack, String error,
                         String origin) {

    /** Recorded by a hook, with the stack of the code that asked. */
    public static final String AGENT = "agent";
    /** Found in /proc when portagent was loaded: opened earlier, no stack. */
    public static final String BEFORE_AGENT = "before-agent";
    /** Found in /proc later, never seen by a hook: opened outside java.net/java.nio (Netty epoll, JDWP, JNI). */
    public static final String NATIVE = "native";
    public static final List<String> ORIGINS = List.of(AGENT, BEFORE_AGENT, NATIVE);

    public boolean open() {
        return closedAt == 0;
    }
}
