package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.proc.EphemeralRange;
import java.io.FileDescriptor;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The registry leaves out of the digester's queue the opens it has nothing to do for, and counts their
 * sites on the opening thread. Random histories of every kind of socket event, fed to a registry that
 * does so and to one that queues every open, must read the same after every snapshot: records, sites,
 * counters, warnings, and what observers of every taste were told, in the same order.
 */
class DigestOnlyWhatNeedsItTest {

    private static final EphemeralRange RANGE = new EphemeralRange(40000, 40099, "test");
    private static final InetAddress REMOTE = InetAddress.getLoopbackAddress();
    private static final ProtocolFamily[] FAMILIES = {null, StandardProtocolFamily.INET, StandardProtocolFamily.INET6};

    private record Observer(String name, Predicate<String> wants) {
    }

    private static final List<Observer> OBSERVERS = List.of(
            new Observer("none", null),
            new Observer("wants no views", k -> false),
            new Observer("wants every view", k -> true),
            new Observer("wants UDP", k -> k.startsWith("udp")),
            new Observer("wants connected UDP", k -> k.startsWith("udp connect")),
            new Observer("wants TCP connects", k -> k.startsWith("tcp connect")),
            new Observer("wants accepted", k -> k.contains(" accept ")),
            new Observer("wants listeners and binds", k -> k.contains(" listen ") || k.contains(" bind ")));

    private static final class Side {
        final Registry registry = new Registry(RANGE, 8, 50, () -> 0);
        final Recorder recorder;
        final List<String> told = new ArrayList<>();

        Side(FakeKernel kernel, int stackDepth, Observer observer) {
            recorder = new Recorder(registry, kernel, stackDepth, 0, true);
            if (observer.wants() == null) {
                return;
            }
            registry.observe(new RegistryObserver() {
                @Override
                public boolean wants(boolean udp, String role, boolean ephemeral) {
                    return observer.wants().test((udp ? "udp " : "tcp ") + role + " " + ephemeral);
                }

                @Override
                public Object connectionOpened(InetAddress remote, boolean ipv6Socket, int remotePort) {
                    String connection = remote + " " + ipv6Socket + " " + remotePort;
                    told.add("connection opened " + connection);
                    return connection;
                }

                @Override
                public void connectionClosed(Object connection, long closedAt, boolean failed) {
                    told.add("connection closed " + connection + " " + failed);
                }

                @Override
                public void opened(SocketView socket) {
                    told.add("opened " + withoutTimes(socket));
                }

                @Override
                public void closed(SocketView socket) {
                    told.add("closed " + withoutTimes(socket));
                }

                @Override
                public void warned(Warning warning) {
                    told.add("warned " + warning);
                }
            });
        }

        String read() {
            Snapshot s = registry.snapshot();
            return String.join("\n", s.open().stream().map(DigestOnlyWhatNeedsItTest::withoutTimes).toList())
                    + "\n" + String.join("\n", s.closed().stream().map(DigestOnlyWhatNeedsItTest::withoutTimes).toList())
                    + "\n" + s.sites() + "\n" + s.counters() + "\n" + s.warnings() + "\n" + told;
        }
    }

    private static String withoutTimes(SocketView v) {
        return v.toString().replaceAll("openedAt=\\d+", "openedAt=T").replaceAll("closedAt=[1-9]\\d*", "closedAt=T");
    }

    @Test
    void randomHistoriesReadTheSameAsWhenEveryOpenIsDigested() {
        for (int stackDepth : new int[] {0, 8}) {
            for (Observer observer : OBSERVERS) {
                for (long seed = 0; seed < 20; seed++) {
                    replay(stackDepth, observer, seed);
                }
            }
        }
    }

    private void replay(int stackDepth, Observer observer, long seed) {
        Random random = new Random(seed);
        FakeKernel kernel = new FakeKernel(random.nextBoolean(), RANGE.low());
        Side lean = new Side(kernel, stackDepth, observer);
        Side full = new Side(kernel, stackDepth, observer);
        full.registry.digestEveryOpen();
        List<FileDescriptor> live = new ArrayList<>();
        List<FileDescriptor> udp = new ArrayList<>();
        List<FileDescriptor> bound = new ArrayList<>();
        int compared = 0;
        for (int step = 0; step < 300; step++) {
            ProtocolFamily family = FAMILIES[random.nextInt(FAMILIES.length)];
            FileDescriptor fd = new FileDescriptor();
            // a fixed port inside the ephemeral range, or outside it
            int fixedPort = random.nextBoolean() ? RANGE.low() + 50 + random.nextInt(50) : 8000 + random.nextInt(100);
            Consumer<Recorder> event;
            switch (random.nextInt(12)) {
                case 0 -> event = r -> {
                    r.connectedAtOnce(family, fd, REMOTE, 80);
                    r.localAddress(fd, kernel.jdkReads(fd));
                };
                case 1 -> event = r -> r.connected(family, fd, REMOTE, 81, null);
                case 2 -> event = r -> r.connected(family, fd, REMOTE, 82, new ConnectException("refused"));
                case 3 -> {
                    kernel.put(fd, new InetSocketAddress(REMOTE, fixedPort));
                    event = r -> r.bound(family, fd, null, fixedPort);
                    bound.add(fd);
                }
                case 4 -> {
                    event = r -> {
                        r.boundToAnyPort(family, fd, null);
                        r.localAddress(fd, kernel.jdkReads(fd));
                    };
                    bound.add(fd);
                }
                case 5 -> {
                    boolean anyPort = anyPort(random, kernel, fd, fixedPort);
                    event = r -> {
                        r.created(family, fd, false, true);
                        r.bound(family, fd, null, anyPort ? 0 : fixedPort);
                    };
                }
                case 6 -> event = r -> r.accepted(family, fd, new InetSocketAddress(REMOTE, 8080),
                        new InetSocketAddress(REMOTE, 50000));
                case 7 -> event = r -> r.acceptedImpl(fd);
                case 8 -> {
                    boolean anyPort = anyPort(random, kernel, fd, fixedPort);
                    event = r -> {
                        r.created(family, fd, true, false);
                        if (anyPort) {
                            r.boundToAnyPort(family, fd, null);
                            r.localAddress(fd, kernel.jdkReads(fd));
                        } else {
                            r.bound(family, fd, null, fixedPort);
                        }
                    };
                    udp.add(fd);
                }
                case 9 -> {
                    // a UDP socket connects or disconnects, a bound TCP socket connects: roles change
                    List<FileDescriptor> from = random.nextBoolean() ? udp : bound;
                    FileDescriptor known = from.isEmpty() ? fd : from.get(random.nextInt(from.size()));
                    boolean disconnect = from == udp && random.nextBoolean();
                    event = r -> {
                        if (disconnect) {
                            r.disconnected(known);
                        } else {
                            r.connectedAtOnce(family, known, REMOTE, 83);
                            r.localAddress(known, kernel.jdkReads(known));
                        }
                    };
                }
                case 10 -> {
                    FileDescriptor closing = live.isEmpty() ? fd : live.remove(random.nextInt(live.size()));
                    event = r -> r.closed(closing);
                }
                default -> {
                    event = null;
                    compared++;
                    assertThat(lean.read()).as("stack %d, observer %s, seed %d, step %d", stackDepth, observer.name(),
                            seed, step).isEqualTo(full.read());
                }
            }
            if (event != null) {
                live.add(fd);
                for (Side side : List.of(lean, full)) {
                    // one line for both: with stacks on, their records must have the same stack
                    event.accept(side.recorder);
                }
            }
        }
        assertThat(lean.read()).isEqualTo(full.read());
        assertThat(compared).isPositive();
    }

    /** Whether the socket is to bind to port 0; if not, the kernel will say it is on {@code fixedPort}. */
    private static boolean anyPort(Random random, FakeKernel kernel, FileDescriptor fd, int fixedPort) {
        boolean anyPort = random.nextBoolean();
        if (!anyPort) {
            kernel.put(fd, new InetSocketAddress(REMOTE, fixedPort));
        }
        return anyPort;
    }
}
