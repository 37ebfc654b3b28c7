package dev.portagent.registry;

import dev.portagent.proc.EphemeralRange;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A copy of the registry, read in one pass without stopping the sockets: the counters first, then the open
 * sockets and the closed history. A close the counters count is never shown open, and each socket is shown
 * once; the lists may be newer than the counters by the sockets opened and closed during the pass.
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
