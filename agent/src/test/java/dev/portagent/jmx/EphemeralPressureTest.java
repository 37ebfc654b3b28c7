package dev.portagent.jmx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.registry.Registry;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
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

    static EphemeralPressure.Destination open(EphemeralPressure p, String remote, int remotePort) {
        return p.opened(address(remote), false, remotePort);
    }

    @Test
    void theBusiestDestinationCountsOpenConnectionsAndThoseClosedLessThan60sAgo() {
        EphemeralPressure p = new EphemeralPressure(200);
        List<EphemeralPressure.Destination> toFirst = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            toFirst.add(open(p, "10.0.0.1", 80));
        }
        for (int i = 10; i < 14; i++) {
            EphemeralPressure.closed(open(p, "10.0.0.2", 80), T0 + 1000, false);
        }
        open(p, "10.0.0.1", 81); // another port is another destination
        EphemeralPressure.Worst w = p.worst(T0 + 2000);
        assertThat(w.destination()).isEqualTo("10.0.0.1:80");
        assertThat(w.percent()).isEqualTo(5.0);

        for (EphemeralPressure.Destination d : toFirst) {
            EphemeralPressure.closed(d, T0 + 5000, false);
        }
        assertThat(p.worst(T0 + 30_000)).extracting(EphemeralPressure.Worst::open,
                EphemeralPressure.Worst::recentlyClosed).containsExactly(0, 10);
        assertThat(p.worst(T0 + 5000 + EphemeralPressure.TIME_WAIT_MILLIS).percent()).isEqualTo(0.5);
        assertThat(p.worst(T0 + 5000 + EphemeralPressure.TIME_WAIT_MILLIS).destination()).isEqualTo("10.0.0.1:81");
    }

    @Test
    void aRefusedConnectLeavesNoTimeWait() {
        EphemeralPressure p = new EphemeralPressure(100);
        EphemeralPressure.closed(open(p, "10.0.0.1", 80), T0, true);
        assertThat(p.worst(T0 + 1000).percent()).isZero();
        assertThat(p.destinations()).isZero();
    }

    @Test
    void ipv6DestinationsAreBracketedAndIpv4MappedOnesAreIpv4() {
        EphemeralPressure p = new EphemeralPressure(100);
        p.opened(address("2001:db8::1"), true, 443);
        assertThat(p.worst(T0).destination()).isEqualTo("[2001:db8::1]:443");
        p.opened(address("10.0.0.1"), true, 443); // a dual-stack socket: ::ffff:10.0.0.1
        p.opened(address("10.0.0.1"), false, 443);
        assertThat(p.worst(T0)).extracting(EphemeralPressure.Worst::destination, EphemeralPressure.Worst::open)
                .containsExactly("10.0.0.1:443", 2);
    }

    @Test
    void aDestinationIsNamedAsItsAddressIsShownAndLinkLocalScopesAreTwoDestinations() throws Exception {
        byte[] linkLocal = address("fe80::1").getAddress();
        List<InetAddress> addresses = List.of(address("10.0.0.1"), address("::"), address("0.0.0.0"),
                address("2001:db8::1"), address("::1"), address("127.0.0.1"),
                // Equal by InetAddress.equals, yet connections to two links: never taken for each other.
                Inet6Address.getByAddress(null, linkLocal, 1), Inet6Address.getByAddress(null, linkLocal, 2));
        for (InetAddress a : addresses) {
            for (boolean ipv6 : new boolean[] {false, true}) {
                EphemeralPressure p = new EphemeralPressure(100);
                p.opened(a, ipv6, 80);
                // Another object for the same address (a new lookup) is the same destination.
                p.opened(a instanceof Inet6Address ? Inet6Address.getByAddress(null, a.getAddress(),
                        ((Inet6Address) a).getScopeId()) : InetAddress.getByAddress(a.getAddress()), ipv6, 80);
                assertThat(p.worst(T0)).as("%s %s", a, ipv6)
                        .extracting(EphemeralPressure.Worst::destination, EphemeralPressure.Worst::open)
                        .containsExactly(EphemeralPressure.destination(Registry.address(a, ipv6), 80), 2);
            }
        }
        EphemeralPressure p = new EphemeralPressure(100);
        p.opened(addresses.get(6), true, 80);
        p.opened(addresses.get(7), true, 80);
        p.opened(addresses.get(7), true, 80);
        assertThat(p.destinations()).isEqualTo(2);
        assertThat(p.worst(T0).destination()).isEqualTo("[fe80::1%2]:80");
    }

    /**
     * Sockets open and close on four threads while a reader forgets idle destinations as fast as it can:
     * a destination with an open connection is never forgotten, no count is lost, and no close of the
     * last minute is forgotten.
     */
    @Test
    void countsFromManyThreadsSurviveAReaderForgettingIdleDestinations() throws Exception {
        EphemeralPressure p = new EphemeralPressure(1_000_000);
        int threads = 4;
        int rounds = 50_000;
        AtomicBoolean done = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            while (!done.get()) {
                p.worst(T0 + 1000);
            }
        });
        reader.start();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<int[]>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long seed = t;
            results.add(pool.submit(() -> {
                Random random = new Random(seed);
                // The idle destination's closes all failed, and each thread holds one of its connections at
                // most: it has none open often, and is forgotten then.
                EphemeralPressure.Destination idle = null;
                List<EphemeralPressure.Destination> busy = new ArrayList<>();
                int busyClosed = 0;
                int forgottenWhileOpen = 0;
                for (int i = 0; i < rounds; i++) {
                    if (random.nextBoolean()) {
                        if (idle == null) {
                            idle = open(p, "10.0.0.1", 80);
                        } else {
                            forgottenWhileOpen += p.tracks(idle) ? 0 : 1;
                            EphemeralPressure.closed(idle, T0, true);
                            idle = null;
                        }
                    } else if (busy.size() > 2 && random.nextInt(3) > 0 || busy.size() > 8) {
                        EphemeralPressure.closed(busy.remove(random.nextInt(busy.size())), T0, false);
                        busyClosed++;
                    } else {
                        busy.add(open(p, "10.0.0.2", 80));
                    }
                }
                return new int[] {idle == null ? 0 : 1, busy.size(), busyClosed, forgottenWhileOpen};
            }));
        }
        int[] sum = new int[4];
        for (Future<int[]> f : results) {
            int[] r = f.get();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += r[i];
            }
        }
        pool.shutdown();
        done.set(true);
        reader.join();
        assertThat(sum[3]).as("closes of connections whose destination was forgotten").isZero();
        EphemeralPressure.Worst busy = p.worst(T0 + 1000);
        assertThat(busy.destination()).isEqualTo("10.0.0.2:80");
        assertThat(busy.open()).isEqualTo(sum[1]);
        assertThat(busy.recentlyClosed()).isEqualTo(sum[2]);
        assertThat(p.openTo("10.0.0.1:80")).isEqualTo(sum[0]);
        assertThat(p.destinations()).isEqualTo(sum[0] > 0 ? 2 : 1);
    }

    @Test
    void destinationsAreBoundedAndIdleOnesForgotten() {
        EphemeralPressure p = new EphemeralPressure(100);
        int n = EphemeralPressure.MAX_DESTINATIONS + 10;
        List<EphemeralPressure.Destination> counted = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            EphemeralPressure.Destination d = open(p, "10.0." + (i / 250) + "." + (i % 250), 80);
            if (d != null) {
                counted.add(d);
            }
        }
        assertThat(p.destinations()).isEqualTo(EphemeralPressure.MAX_DESTINATIONS);
        assertThat(counted).hasSize(EphemeralPressure.MAX_DESTINATIONS);
        assertThat(p.untracked()).isEqualTo(10);
        for (EphemeralPressure.Destination d : counted) {
            EphemeralPressure.closed(d, T0, true);
        }
        p.worst(T0 + 1);
        assertThat(p.destinations()).isZero();
    }
}
