package dev.portagent.jmx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.registry.SocketView;
import java.util.List;
import org.junit.jupiter.api.Test;

class EphemeralPressureTest {

    static final long T0 = 1_700_000_000_000L;

    static SocketView connection(long id, String remote, int remotePort, long openedAt, long closedAt, String error) {
        return new SocketView(id, "tcp", "connect", "ipv4", "127.0.0.1", 40000 + (int) id, remote, remotePort, 0,
                true, true, closedAt == 0 ? "open" : "closed", openedAt, closedAt, "main", 1, false, null, List.of(),
                error, "agent");
    }

    @Test
    void theBusiestDestinationCountsOpenConnectionsAndThoseClosedLessThan60sAgo() {
        EphemeralPressure p = new EphemeralPressure(200);
        for (int i = 0; i < 10; i++) {
            p.opened(connection(i, "10.0.0.1", 80, T0, 0, null));
        }
        for (int i = 10; i < 14; i++) {
            p.opened(connection(i, "10.0.0.2", 80, T0, 0, null));
            p.closed(connection(i, "10.0.0.2", 80, T0, T0 + 1000, null));
        }
        p.opened(connection(20, "10.0.0.1", 81, T0, 0, null)); // another port is another destination
        EphemeralPressure.Worst w = p.worst(T0 + 2000);
        assertThat(w.destination()).isEqualTo("10.0.0.1:80");
        assertThat(w.percent()).isEqualTo(5.0);

        for (int i = 0; i < 10; i++) {
            p.closed(connection(i, "10.0.0.1", 80, T0, T0 + 5000, null));
        }
        assertThat(p.worst(T0 + 30_000)).extracting(EphemeralPressure.Worst::open,
                EphemeralPressure.Worst::recentlyClosed).containsExactly(0, 10);
        assertThat(p.worst(T0 + 5000 + EphemeralPressure.TIME_WAIT_MILLIS).percent()).isEqualTo(0.5);
        assertThat(p.worst(T0 + 5000 + EphemeralPressure.TIME_WAIT_MILLIS).destination()).isEqualTo("10.0.0.1:81");
    }

    @Test
    void refusedConnectsListenersUdpAndAcceptedSocketsDoNotCount() {
        EphemeralPressure p = new EphemeralPressure(100);
        p.opened(connection(1, "10.0.0.1", 80, T0, 0, null));
        p.closed(connection(1, "10.0.0.1", 80, T0, T0, "Connection refused"));
        p.opened(new SocketView(2, "udp", "connect", "ipv4", "0.0.0.0", 40002, "10.0.0.1", 53, 0, true, true, "open",
                T0, 0, "main", 1, false, null, List.of(), null, "agent"));
        p.opened(new SocketView(3, "tcp", "accept", "ipv4", "127.0.0.1", 8080, "10.0.0.1", 40003, 0, false, false,
                "open", T0, 0, "main", 1, false, null, List.of(), null, "agent"));
        assertThat(p.worst(T0 + 1000).percent()).isZero();
        assertThat(p.destinations()).isZero();
    }

    @Test
    void ipv6DestinationsAreBracketedAndIpv4MappedOnesAreIpv4() {
        EphemeralPressure p = new EphemeralPressure(100);
        p.opened(connection(1, "2001:db8::1", 443, T0, 0, null));
        assertThat(p.worst(T0).destination()).isEqualTo("[2001:db8::1]:443");
        p.opened(connection(2, "::ffff:10.0.0.1", 443, T0, 0, null));
        p.opened(connection(3, "10.0.0.1", 443, T0, 0, null));
        assertThat(p.worst(T0)).extracting(EphemeralPressure.Worst::destination, EphemeralPressure.Worst::open)
                .containsExactly("10.0.0.1:443", 2);
    }

    @Test
    void destinationsAreBoundedAndIdleOnesForgotten() {
        EphemeralPressure p = new EphemeralPressure(100);
        int n = EphemeralPressure.MAX_DESTINATIONS + 10;
        for (int i = 0; i < n; i++) {
            p.opened(connection(i, "10.0." + (i / 250) + "." + (i % 250), 80, T0, 0, null));
        }
        assertThat(p.destinations()).isEqualTo(EphemeralPressure.MAX_DESTINATIONS);
        assertThat(p.untracked()).isEqualTo(10);
        for (int i = 0; i < n; i++) {
            p.closed(connection(i, "10.0." + (i / 250) + "." + (i % 250), 80, T0, T0, "reset"));
        }
        p.worst(T0 + 1);
        assertThat(p.destinations()).isZero();
    }
}
