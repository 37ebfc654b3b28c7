package dev.portagent.e2e.apps;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Fixed ports for a child program to bind: random ones that no socket of this network namespace uses
 * now, so that the bind succeeds on its own line without a retry loop (a retry would need the site on
 * a loop line). Ports outside the ephemeral range are not handed out by the kernel, so nothing takes
 * them between the choice and the bind.
 */
public final class FreePorts {

    private final Set<Integer> taken = new HashSet<>();
    private final Expectations track;

    public FreePorts(Expectations track) {
        this.track = track;
        KernelSockets.read().forEach(line -> taken.add(line.localPort()));
    }

    /** A port below the ephemeral range, where a fixed port belongs. */
    public synchronized int outsideEphemeralRange() {
        int high = track.ephemeralLow() - 1;
        if (high < 2048) {
            throw new IllegalStateException("the ephemeral range starts at " + track.ephemeralLow()
                    + ": no room below it for fixed ports");
        }
        return pick(Math.max(1024, high - 8000), high);
    }

    /** A port inside the ephemeral range: the mistake the report warns about. */
    public synchronized int insideEphemeralRange() {
        return pick(track.ephemeralLow(), track.ephemeralHigh());
    }

    private int pick(int low, int high) {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(low, high + 1);
            if (taken.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port in " + low + "-" + high);
    }
}
