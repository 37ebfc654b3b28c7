package dev.portagent.registry;

import dev.portagent.proc.EphemeralRange;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A point-in-time copy of the registry. Counters and lists are read in one pass and may differ by
 * the sockets opened during that pass, never by more.
 */
public record Snapshot(long takenAt, EphemeralRange ephemeralRange, Counters counters, List<SocketView> open,
                       List<SocketView> closed, List<SiteView> sites, List<Warning> warnings) {

    /** Open sockets by {@link SocketView#origin()}, every origin present; the values add up to {@code open().size()}. */
    public Map<String, Long> origins() {
        Map<String, Long> counts = new LinkedHashMap<>();
        SocketView.ORIGINS.forEach(origin -> counts.put(origin, 0L));
        open.forEach(v -> counts.merge(v.origin(), 1L, Long::sum));
        return counts;
    }

    public record Counters(long open, long openEphemeral, long ephemeralAllocated, long binds, long connects,
                           long accepts, long closed, long droppedHistory, long hookFailures) {
    }
}
