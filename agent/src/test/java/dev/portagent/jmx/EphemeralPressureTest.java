package dev.portagent.jmx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.registry.Registry;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EphemeralPressureTest {

    static final long T0 = 1_700_000_000_000L;

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static void open(EphemeralPressure p, String remote, int remotePort, long openedAt) {
        p.opened(address(remote), false, remotePort, openedAt);
    }

    static void close(EphemeralPressure p, String remote, int remotePort, long closedAt, boolean failed) {
        p.closed(address(remote), false, remotePort, closedAt, failed);
    }

    @Test
    void theBusiestDestinationCountsOpenConnectionsAndThoseClosedLessThan60sAgo() {
        EphemeralPressure p = new EphemeralPressure(200);
        for (int i = 0; i < 10; i++) {
            open(p, "10.0.0.1", 80, T0);
        }
        for (int i = 10; i < 14; i++) {
            open(p, "10.0.0.2", 80, T0);
            close(p, "10.0.0.2", 80, T0 + 1000, false);
        }
        open(p, "10.0.0.1", 81, T0); // another port is another destination
        EphemeralPressure.Worst w = p.worst(T0 + 2000);
        assertThat(w.destination()).isEqualTo("10.0.0.1:80");
        assertThat(w.percent()).isEqualTo(5.0);

        for (int i = 0; i < 10; i++) {
            close(p, "10.0.0.1", 80, T0 + 5000, false);
        }
        assertThat(p.worst(T0 + 30_000)).extracting(EphemeralPressure.Worst::open,
                EphemeralPressure.Worst::recentlyClosed).containsExactly(0, 10);
        assertThat(p.worst(T0 + 5000 + EphemeralPressure.TIME_WAIT_MILLIS).percent()).isEqualTo(0.5);
        assertThat(p.worst(T0 + 5000 + EphemeralPressure.TIME_WAIT_MILLIS).destination()).isEqualTo("10.0.0.1:81");
    }

    @Test
    void aRefusedConnectLeavesNoTimeWait() {
        EphemeralPressure p = new EphemeralPressure(100);
        open(p, "10.0.0.1", 80, T0);
        close(p, "10.0.0.1", 80, T0, true);
        assertThat(p.worst(T0 + 1000).percent()).isZero();
        assertThat(p.destinations()).isZero();
    }

    @Test
    void ipv6DestinationsAreBracketedAndIpv4MappedOnesAreIpv4() {
        EphemeralPressure p = new EphemeralPressure(100);
        p.opened(address("2001:db8::1"), true, 443, T0);
        assertThat(p.worst(T0).destination()).isEqualTo("[2001:db8::1]:443");
        p.opened(address("10.0.0.1"), true, 443, T0); // a dual-stack socket: ::ffff:10.0.0.1
        p.opened(address("10.0.0.1"), false, 443, T0);
        assertThat(p.worst(T0)).extracting(EphemeralPressure.Worst::destination, EphemeralPressure.Worst::open)
                .containsExactly("10.0.0.1:443", 2);
    }

    @Test
    void aRememberedDestinationIsTheTextOfThatAddressOnThatSocketAlways() throws Exception {
        EphemeralPressure p = new EphemeralPressure(100);
        byte[] linkLocal = address("fe80::1").getAddress();
        List<InetAddress> addresses = new ArrayList<>(List.of(address("10.0.0.1"), address("::"), address("0.0.0.0"),
                address("2001:db8::1"), address("::1"), address("127.0.0.1"),
                // Equal by InetAddress.equals, yet written with their scopes: never taken for each other.
                Inet6Address.getByAddress(null, linkLocal, 1), Inet6Address.getByAddress(null, linkLocal, 2)));
        for (int i = 0; i < 200; i++) { // more than the cache holds: slots are shared and overwritten
            addresses.add(address("10.1." + (i / 250) + "." + (i % 250)));
        }
        for (int round = 0; round < 3; round++) {
            for (InetAddress a : addresses) {
                for (boolean ipv6 : new boolean[] {false, true}) {
                    for (int port : new int[] {80, 443, 80 + round}) {
                        String expected = EphemeralPressure.destination(Registry.address(a, ipv6), port);
                        assertThat(p.destination(a, ipv6, port)).as("%s %s %d", a, ipv6, port).isEqualTo(expected);
                        // Another object for the same address (a new lookup) reads the same.
                        InetAddress again = InetAddress.getByAddress(a.getAddress());
                        if (!(a instanceof Inet6Address) || ((Inet6Address) a).getScopeId() == 0) {
                            assertThat(p.destination(again, ipv6, port)).isEqualTo(expected);
                        }
                    }
                }
            }
        }
        assertThat(p.destination(addresses.get(6), true, 80)).isEqualTo("[fe80::1%1]:80");
        assertThat(p.destination(addresses.get(7), true, 80)).isEqualTo("[fe80::1%2]:80");
    }

    @Test
    void destinationsAreBoundedAndIdleOnesForgotten() {
        EphemeralPressure p = new EphemeralPressure(100);
        int n = EphemeralPressure.MAX_DESTINATIONS + 10;
        for (int i = 0; i < n; i++) {
            open(p, "10.0." + (i / 250) + "." + (i % 250), 80, T0);
        }
        assertThat(p.destinations()).isEqualTo(EphemeralPressure.MAX_DESTINATIONS);
        assertThat(p.untracked()).isEqualTo(10);
        for (int i = 0; i < n; i++) {
            close(p, "10.0." + (i / 250) + "." + (i % 250), 80, T0, true);
        }
        p.worst(T0 + 1);
        assertThat(p.destinations()).isZero();
    }
}
