package dev.portagent.registry;

import dev.portagent.proc.EphemeralRange;
import java.util.List;

/**
 * A point-in-time copy of the registry. Counters and lists are read in one pass and may differ by
 * the sockets opened during that pass, never by more.
 */
public record Snapshot(long takenAt, EphemeralRange ephemeralRange, Counters counters, List<SocketView> open,
                       List<SocketView> closed, List<SiteView> sites, List<Warning> warnings) {

    public record Counters(long open, long openEphemeral, long ephemeralAllocated, long binds, long connects,
                           long accepts, long closed, long droppedHistory, long hookFailures) {
    }
}
