package dev.portagent.registry;

import java.util.List;

/**
 * An immutable copy of one record, in the report's field names. Times are epoch milliseconds;
 * closedAt is 0 and remoteAddress null where they do not apply. site and stack are null and empty
 * when stack capture is off.
 */
public record SocketView(long id, String protocol, String role, String family, String localAddress, int localPort,
                         String remoteAddress, int remotePort, int requestedPort, boolean ephemeral,
                         boolean inEphemeralRange, String state, long openedAt, long closedAt, String thread,
                         long threadId, boolean virtual, String site, List<String> stack, String error,
                         String origin) {

    public boolean open() {
        return closedAt == 0;
    }
}
