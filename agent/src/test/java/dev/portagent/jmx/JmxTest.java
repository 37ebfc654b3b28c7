package dev.portagent.jmx;

import dev.portagent.report.Formats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portagent.options.AgentOptions;
import dev.portagent.proc.EphemeralRange;
import dev.portagent.registry.FakeKernel;
import dev.portagent.registry.Recorder;
import dev.portagent.registry.Registry;
import dev.portagent.registry.RegistryObserver;
import dev.portagent.registry.SocketView;
import dev.portagent.registry.Warning;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JmxTest {

    static StackTraceElement frame(String className, String method) {
        return new StackTraceElement(className, method, null, -1);
    }

    @Test
    void theApplicationsMainRunsWhenItIsTheBottomFrame() {
        assertThat(Jmx.Registration.runsApplicationMain(new StackTraceElement[] {
            frame("java.lang.Thread", "sleep"), frame("com.example.App", "main")})).isTrue();
        // In premain, and while the launcher loads the main class, main has not started.
        assertThat(Jmx.Registration.runsApplicationMain(new StackTraceElement[] {
            frame("dev.portagent.Agent", "premain"), frame("sun.instrument.InstrumentationImpl", "loadClassAndCallPremain")}))
                .isFalse();
        assertThat(Jmx.Registration.runsApplicationMain(new StackTraceElement[] {
            frame("java.lang.Class", "forName0"), frame("sun.launcher.LauncherHelper", "checkAndLoadMain")})).isFalse();
        assertThat(Jmx.Registration.runsApplicationMain(new StackTraceElement[0])).isFalse();
    }

    @Test
    void reportFileNamesCannotLeaveTheDirectory() {
        Path dir = Path.of("/var/reports");
        assertThat(PortsMBean.reportFile(dir, "ports.json")).isEqualTo(Path.of("/var/reports/ports.json"));
        assertThat(PortsMBean.reportFile(dir, ".hidden.json")).isEqualTo(Path.of("/var/reports/.hidden.json"));
        for (String bad : new String[] {null, "", "..", ".", "../x", "a/b", "/etc/passwd", "a\\b", "x..y", "a\0b"}) {
            assertThatThrownBy(() -> PortsMBean.reportFile(dir, bad)).as(String.valueOf(bad))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void onlyAFixedBindInsideTheRangeIsFlaggedNotAnAcceptedSocketOnItsListenersPort() {
        long now = EphemeralPressureTest.T0;
        SocketView fixed = new SocketView(1, "tcp", "listen", "ipv4", "0.0.0.0", 40050, null, 0, 40050, false, true,
                "open", now, 0, "main", 1, false, "App.main(App.java:3)", List.of(), null, "agent");
        SocketView accepted = new SocketView(2, "tcp", "accept", "ipv4", "127.0.0.1", 40050, "127.0.0.1", 50000, 0,
                false, true, "open", now, 0, "main", 1, false, "App.main(App.java:4)", List.of(), null, "agent");
        String[] lines = TableText.lines(List.of(fixed, accepted), 0, 10, now);
        assertThat(lines).hasSize(3);
        assertThat(lines[1]).contains("0.0.0.0:40050", "no, in range");
        assertThat(lines[2]).contains("127.0.0.1:50000", "accept").doesNotContain("in range");
    }

    @Test
    void theDigesterMakesViewsOnlyForNotifyAll() throws Exception {
        for (String notify : new String[] {"warnings", "none", "all"}) {
            Jmx jmx = new Jmx(new FakeSockets().registry, AgentOptions.parse("notify=" + notify, Map.of(), Map.of()));
            for (boolean udp : new boolean[] {false, true}) {
                for (String role : List.of("listen", "connect", "accept", "bind")) {
                    for (boolean ephemeral : new boolean[] {false, true}) {
                        assertThat(jmx.wants(udp, role, ephemeral)).as("notify=%s %s %s %s", notify, udp, role, ephemeral)
                                .isEqualTo(notify.equals("all"));
                    }
                }
            }
        }
    }

    /** A connection pressure counts, as its closed view shows it: TCP connects the OS gave a port, by remote address. */
    private static List<String> counted(SocketView v) {
        if (!(v.ephemeral() && v.protocol().equals("tcp") && v.role().equals("connect") && v.remoteAddress() != null)) {
            return List.of();
        }
        String destination = EphemeralPressure.destination(v.remoteAddress(), v.remotePort());
        return List.of("open " + destination, "close " + destination + " " + v.closedAt() + " " + (v.error() != null));
    }

    @Test
    void pressureIsToldOnceOfTheOpenAndOnceOfTheCloseOfEveryConnectionTheViewsShowWithTheSameDestinationAndTime()
            throws Exception {
        for (boolean ipv6 : new boolean[] {false, true}) {
            List<String> byViews = new ArrayList<>();
            // Told the same whether or not the observer wants views too.
            assertThat(connectionsTold(ipv6, false, new ArrayList<>())).as("ipv6 %s, no views", ipv6)
                    .containsExactlyInAnyOrderElementsOf(connectionsTold(ipv6, true, byViews));
            assertThat(byViews).as("ipv6 %s", ipv6)
                    .contains("open 10.0.0.1:80", "open [2001:db8::1]:81", "open 10.0.0.1:84")
                    .anySatisfy(e -> assertThat(e).startsWith("close 10.0.0.1:82 ").endsWith(" true"))
                    .anySatisfy(e -> assertThat(e).startsWith("close 10.0.0.1:80 ").endsWith(" false"))
                    .noneSatisfy(e -> assertThat(e).contains(":83", ":85", ":40001"));
        }
    }

    /**
     * What the registry told of connections: each opened once, then closed once, in that order, naming the
     * destination the close's view shows. {@code byViews}: what the closed views count, when views are wanted.
     */
    private static List<String> connectionsTold(boolean ipv6, boolean views, List<String> byViews) throws Exception {
        EphemeralRange range = new EphemeralRange(40000, 40099, "test");
        Registry registry = new Registry(range, 0, 1000, () -> 0L);
        FakeKernel kernel = new FakeKernel(ipv6, range.low());
        Recorder recorder = new Recorder(registry, kernel, 0, 0, true);
        List<String> told = new ArrayList<>();
        Set<Object> open = Collections.newSetFromMap(new IdentityHashMap<>());
        registry.observe(new RegistryObserver() {
            @Override
            public boolean wants(boolean udp, String role, boolean ephemeral) {
                return views;
            }

            @Override
            public Object connectionOpened(InetAddress remote, boolean ipv6Socket, int remotePort) {
                String destination = EphemeralPressure.destination(Registry.address(remote, ipv6Socket), remotePort);
                told.add("open " + destination);
                String[] connection = {destination};
                open.add(connection);
                return connection;
            }

            @Override
            public void connectionClosed(Object connection, long closedAt, boolean failed) {
                assertThat(open.remove(connection)).as("closed once, after its open").isTrue();
                told.add("close " + ((String[]) connection)[0] + " " + closedAt + " " + failed);
            }

            @Override
            public void opened(SocketView socket) {
            }

            @Override
            public void closed(SocketView socket) {
                byViews.addAll(counted(socket));
            }

            @Override
            public void warned(Warning warning) {
            }
        });
        InetAddress v4 = InetAddress.getByName("10.0.0.1");
        InetAddress v6 = InetAddress.getByName("2001:db8::1");
        InetAddress any = InetAddress.getByName("0.0.0.0");
        List<FileDescriptor> fds = new ArrayList<>();
        for (java.net.ProtocolFamily family : new java.net.ProtocolFamily[] {null, StandardProtocolFamily.INET,
                StandardProtocolFamily.INET6}) {
            for (InetAddress remote : List.of(v4, v6, any, FakeKernel.LOOPBACK)) {
                FileDescriptor connect = new FileDescriptor(); // a connect that completed at once
                recorder.connectedAtOnce(family, connect, remote, 80);
                recorder.localAddress(connect, kernel.jdkReads(connect));
                fds.add(connect);
                FileDescriptor inProgress = new FileDescriptor();
                recorder.connected(family, inProgress, remote, 81, null);
                fds.add(inProgress);
                recorder.connected(family, new FileDescriptor(), remote, 82, new java.net.ConnectException("refused"));
                FileDescriptor boundFirst = kernel.socketOn(40090); // bind to a fixed port, then connect
                recorder.bound(family, boundFirst, null, 40090);
                recorder.connectedAtOnce(family, boundFirst, remote, 83);
                recorder.localAddress(boundFirst, kernel.jdkReads(boundFirst));
                fds.add(boundFirst);
                FileDescriptor anyPortFirst = new FileDescriptor(); // bind to port 0, then connect
                recorder.boundToAnyPort(family, anyPortFirst, null);
                recorder.localAddress(anyPortFirst, kernel.jdkReads(anyPortFirst));
                registry.digest(); // delivered as a bind: the connection is counted at its connect all the same
                recorder.connectedAtOnce(family, anyPortFirst, remote, 84);
                recorder.localAddress(anyPortFirst, kernel.jdkReads(anyPortFirst));
                fds.add(anyPortFirst);
                FileDescriptor udp = new FileDescriptor();
                recorder.created(family, udp, true, false);
                recorder.connected(family, udp, remote, 85, null);
                fds.add(udp);
                FileDescriptor accepted = new FileDescriptor();
                recorder.accepted(family, accepted, new InetSocketAddress(FakeKernel.LOOPBACK, 8080),
                        new InetSocketAddress(remote, 40001));
                fds.add(accepted);
            }
            registry.digest();
        }
        for (FileDescriptor fd : fds) {
            recorder.closed(fd);
        }
        registry.digest();
        assertThat(open).as("every connection closed").isEmpty();
        if (views) {
            assertThat(told).containsExactlyInAnyOrderElementsOf(byViews);
        }
        return told.stream().map(e -> e.replaceAll(" [0-9]{10,}", " (time)")).toList();
    }

    @Test
    void agesAreShortAndPrecise() {
        assertThat(Formats.age(-5)).isEqualTo("0s");
        assertThat(Formats.age(42_999)).isEqualTo("42s");
        assertThat(Formats.age(187_000)).isEqualTo("3m07s");
        assertThat(Formats.age(5 * 3600_000L + 120_000)).isEqualTo("5h02m");
        assertThat(Formats.age(12 * 86_400_000L + 4 * 3600_000L)).isEqualTo("12d04h");
    }
}
