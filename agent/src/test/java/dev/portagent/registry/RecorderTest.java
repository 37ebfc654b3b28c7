package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.proc.EphemeralRange;
import java.io.FileDescriptor;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecorderTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final EphemeralRange RANGE = new EphemeralRange(32768, 60999, "test");

    private final FakeKernel kernel = new FakeKernel(true, 60000);
    private final JdkSockets jdk = kernel;

    private Registry registry = new Registry(RANGE, 32, 100, () -> 0);
    private Recorder recorder = new Recorder(registry, jdk, 32, 0, true);

    private FileDescriptor socketWithKernelPort(int port) {
        return kernel.socketOn(port);
    }

    @Test
    void aListenerOnPortZeroIsEphemeralWithThePortTheKernelChose() {
        FileDescriptor fd = socketWithKernelPort(45001);
        recorder.created(null, fd, false, true);
        recorder.bound(null, fd, null, 0);

        SocketView v = registry.snapshot().open().get(0);
        assertThat(v.protocol()).isEqualTo("tcp");
        assertThat(v.role()).isEqualTo("listen");
        assertThat(v.localPort()).isEqualTo(45001);
        assertThat(v.requestedPort()).isZero();
        assertThat(v.ephemeral()).isTrue();
        assertThat(v.inEphemeralRange()).isTrue();
        assertThat(v.family()).isEqualTo("ipv6");
        assertThat(v.localAddress()).isEqualTo("::ffff:127.0.0.1");
        assertThat(v.site()).startsWith(getClass().getName() + ".aListenerOnPortZeroIsEphemeralWithThePortTheKernelChose(RecorderTest.java:");
        assertThat(v.thread()).isEqualTo(Thread.currentThread().getName());
        assertThat(v.state()).isEqualTo("open");
    }

    @Test
    void theObserverSeesTheSocketsItWantsEachOpenBeforeItsClose() {
        java.util.List<String> told = new java.util.ArrayList<>();
        registry.observe(new RegistryObserver() {
            @Override
            public boolean wants(boolean udp, String role, boolean ephemeral) {
                return role.equals("listen");
            }

            @Override
            public void opened(SocketView socket) {
                told.add("opened " + socket.role() + " " + socket.localPort());
            }

            @Override
            public void closed(SocketView socket) {
                told.add("closed " + socket.role() + " " + socket.localPort());
            }

            @Override
            public void warned(Warning warning) {
            }
        });
        FileDescriptor listener = socketWithKernelPort(45001);
        recorder.created(null, listener, false, true);
        recorder.bound(null, listener, null, 0);
        FileDescriptor udp = socketWithKernelPort(45002);
        recorder.created(null, udp, true, false);
        recorder.bound(null, udp, null, 0);
        recorder.closed(udp);
        recorder.closed(listener);

        registry.digest();
        assertThat(told).containsExactly("opened listen 45001", "closed listen 45001");
    }

    @Test
    void aFixedPortInsideTheEphemeralRangeIsWarnedAboutWithItsSite() {
        FileDescriptor fd = new FileDescriptor();
        recorder.created(StandardProtocolFamily.INET, fd, false, true);
        recorder.bound(StandardProtocolFamily.INET, fd, LOOPBACK, 45678);

        Snapshot s = registry.snapshot();
        SocketView v = s.open().get(0);
        assertThat(v.ephemeral()).isFalse();
        assertThat(v.requestedPort()).isEqualTo(45678);
        assertThat(v.family()).isEqualTo("ipv4");
        assertThat(v.localAddress()).isEqualTo("127.0.0.1");
        assertThat(s.warnings()).singleElement().satisfies(w -> {
            assertThat(w.type()).isEqualTo(Warning.FIXED_PORT_IN_EPHEMERAL_RANGE);
            assertThat(w.port()).isEqualTo(45678);
            assertThat(w.message()).contains(v.site()).contains("32768-60999");
        });
    }

    @Test
    void aFixedPortOutsideTheRangeIsNotWarnedAbout() {
        FileDescriptor fd = new FileDescriptor();
        recorder.bound(null, fd, LOOPBACK, 8080);

        assertThat(registry.snapshot().warnings()).isEmpty();
    }

    @Test
    void aConnectWithoutBindIsAnImplicitEphemeralBind() {
        FileDescriptor fd = socketWithKernelPort(50000);
        recorder.connected(null, fd, LOOPBACK, 8080, null);

        SocketView v = registry.snapshot().open().get(0);
        assertThat(v.role()).isEqualTo("connect");
        assertThat(v.localPort()).isEqualTo(50000);
        assertThat(v.remotePort()).isEqualTo(8080);
        assertThat(v.ephemeral()).isTrue();
        assertThat(registry.counters().connects()).isEqualTo(1);
        assertThat(registry.counters().ephemeralAllocated()).isEqualTo(1);
    }

    @Test
    void aRefusedConnectHeldItsPortUntilItFailed() {
        FileDescriptor fd = socketWithKernelPort(50001);
        recorder.connected(null, fd, LOOPBACK, 1, new ConnectException("Connection refused"));

        Snapshot s = registry.snapshot();
        assertThat(s.open()).isEmpty();
        assertThat(s.closed()).singleElement().satisfies(v -> {
            assertThat(v.localPort()).isEqualTo(50001);
            assertThat(v.state()).isEqualTo("closed");
            assertThat(v.error()).isEqualTo("Connection refused");
        });
        recorder.closed(fd);
        assertThat(registry.counters().closed()).as("the later close of the fd is not a second close").isEqualTo(1);
    }

    @Test
    void aBoundSocketThatConnectsKeepsItsBindAndBecomesAConnect() {
        FileDescriptor fd = new FileDescriptor();
        recorder.bound(null, fd, LOOPBACK, 7000);
        recorder.connected(null, fd, LOOPBACK, 8080, null);

        SocketView v = registry.snapshot().open().get(0);
        assertThat(v.role()).isEqualTo("connect");
        assertThat(v.requestedPort()).isEqualTo(7000);
        assertThat(v.ephemeral()).isFalse();
        assertThat(registry.counters().binds()).isEqualTo(1);
        assertThat(registry.counters().connects()).isEqualTo(1);
    }

    @Test
    void aSocketBoundToTheWildcardTakesTheAddressItsConnectChose() throws Exception {
        InetAddress wildcard = InetAddress.getByName("::");
        FileDescriptor fd = new FileDescriptor();
        kernel.put(fd, new InetSocketAddress(wildcard, 40002));
        recorder.created(null, fd, true, false);
        recorder.bound(null, fd, null, 0);

        kernel.put(fd, new InetSocketAddress(LOOPBACK, 40002));
        recorder.connected(null, fd, LOOPBACK, 53, null);
        assertThat(registry.snapshot().open().get(0).localAddress()).isEqualTo("::ffff:127.0.0.1");

        kernel.put(fd, new InetSocketAddress(wildcard, 40002));
        recorder.disconnected(fd);
        assertThat(registry.snapshot().open().get(0).localAddress()).isEqualTo("::");
    }

    @Test
    void aConnectToTheWildcardAddressReachedTheLoopbackAddressItLeftFrom() throws Exception {
        FileDescriptor fd = new FileDescriptor();
        kernel.put(fd, new InetSocketAddress(InetAddress.getByName("::1"), 40003));
        recorder.connected(null, fd, InetAddress.getByName("::"), 8080, null);

        SocketView v = registry.snapshot().open().get(0);
        assertThat(v.remoteAddress()).isEqualTo("::1");
        assertThat(v.remotePort()).isEqualTo(8080);
    }

    @Test
    void udpSocketsAreToldApartFromTcpByTheirCreation() {
        FileDescriptor fd = socketWithKernelPort(40001);
        recorder.created(null, fd, true, false);
        recorder.bound(null, fd, null, 0);
        recorder.connected(null, fd, LOOPBACK, 53, null);
        assertThat(registry.snapshot().open().get(0)).satisfies(v -> {
            assertThat(v.protocol()).isEqualTo("udp");
            assertThat(v.role()).isEqualTo("connect");
            assertThat(v.remotePort()).isEqualTo(53);
        });

        recorder.disconnected(fd);
        assertThat(registry.snapshot().open().get(0)).satisfies(v -> {
            assertThat(v.role()).isEqualTo("bind");
            assertThat(v.remoteAddress()).isNull();
        });
    }

    @Test
    void aSocketClosedBeforeItWasBoundLeavesNoTrace() {
        FileDescriptor fd = new FileDescriptor();
        recorder.created(null, fd, true, false);
        recorder.closed(fd);

        Snapshot s = registry.snapshot();
        assertThat(s.open()).isEmpty();
        assertThat(s.closed()).isEmpty();
        assertThat(s.counters().closed()).isZero();
    }

    @Test
    void acceptedSocketsShareTheListenersPortAndAreNotEphemeral() {
        FileDescriptor fd = socketWithKernelPort(45002);
        recorder.acceptedImpl(fd);

        SocketView v = registry.snapshot().open().get(0);
        assertThat(v.role()).isEqualTo("accept");
        assertThat(v.localPort()).isEqualTo(45002);
        assertThat(v.remotePort()).isEqualTo(40000);
        assertThat(v.ephemeral()).isFalse();
        assertThat(registry.snapshot().warnings()).as("the listener was warned about, not each accept").isEmpty();
    }

    @Test
    void acceptedSocketsAreNotRecordedWhenSwitchedOff() {
        recorder = new Recorder(registry, jdk, 32, 0, false);
        recorder.acceptedImpl(socketWithKernelPort(45003));

        assertThat(registry.snapshot().open()).isEmpty();
    }

    @Test
    void closedHistoryIsBoundedAndCountsWhatItDropped() {
        registry = new Registry(RANGE, 32, 3, () -> 0);
        recorder = new Recorder(registry, jdk, 32, 0, true);
        for (int i = 0; i < 5; i++) {
            FileDescriptor fd = socketWithKernelPort(50000 + i);
            recorder.connected(null, fd, LOOPBACK, 8080, null);
            recorder.closed(fd);
        }

        Snapshot s = registry.snapshot();
        assertThat(s.closed()).extracting(SocketView::localPort).containsExactly(50002, 50003, 50004);
        assertThat(s.counters().droppedHistory()).isEqualTo(2);
        assertThat(s.counters().closed()).isEqualTo(5);

        registry.clearHistory();
        assertThat(registry.snapshot().closed()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 15, 16, 17, 100, 1000, 1021})
    void closedHistoryOfAnySizeKeepsTheLastClosesAfterManyLaps(int capacity) {
        registry = new Registry(RANGE, 32, capacity, () -> 0);
        recorder = new Recorder(registry, jdk, 0, 0, true);
        int closes = 2 * capacity + capacity / 2 + 7;
        for (int i = 0; i < closes; i++) {
            FileDescriptor fd = socketWithKernelPort(20000 + i);
            recorder.connected(null, fd, LOOPBACK, 8080, null);
            recorder.closed(fd);
        }

        Snapshot s = registry.snapshot();
        assertThat(s.closed()).extracting(SocketView::localPort)
                .containsExactlyElementsOf(IntStream.range(20000 + closes - capacity, 20000 + closes).boxed().toList());
        assertThat(s.counters().droppedHistory()).isEqualTo(closes - capacity);
    }

    @Test
    void socketsOpenedFromTheSameLineShareOneStack() {
        for (int i = 0; i < 2; i++) {
            recorder.connected(null, socketWithKernelPort(50010 + i), LOOPBACK, 8080, null);
        }

        Snapshot s = registry.snapshot();
        assertThat(s.open().get(0).stack()).isSameAs(s.open().get(1).stack());
        assertThat(s.sites()).singleElement().satisfies(site -> {
            assertThat(site.opened()).isEqualTo(2);
            assertThat(site.open()).isEqualTo(2);
            assertThat(site.ephemeral()).isEqualTo(2);
        });
    }

    @Test
    void aSnapshotListsSocketsByIdAndSitesMostOpenedFirstThenByName() {
        for (int i = 0; i < 3; i++) {
            connectFromC(50100 + i);
        }
        connectFromB(50110);
        connectFromA(50120);

        Snapshot s = registry.snapshot();

        assertThat(s.open()).extracting(SocketView::id).hasSize(5).isSorted();
        assertThat(s.sites()).extracting(SiteView::opened).containsExactly(3L, 1L, 1L);
        assertThat(s.sites()).extracting(SiteView::site).satisfiesExactly(
                c -> assertThat(c).contains("connectFromC"), a -> assertThat(a).contains("connectFromA"),
                b -> assertThat(b).contains("connectFromB"));
    }

    private void connectFromA(int port) {
        recorder.connected(null, socketWithKernelPort(port), LOOPBACK, 8080, null);
    }

    private void connectFromB(int port) {
        recorder.connected(null, socketWithKernelPort(port), LOOPBACK, 8080, null);
    }

    private void connectFromC(int port) {
        recorder.connected(null, socketWithKernelPort(port), LOOPBACK, 8080, null);
    }

    @Test
    void withoutStackCaptureThereIsNoSiteAndNoStack() {
        recorder = new Recorder(registry, jdk, 0, 0, true);
        recorder.connected(null, socketWithKernelPort(50020), LOOPBACK, 8080, null);

        SocketView v = registry.snapshot().open().get(0);
        assertThat(v.site()).isNull();
        assertThat(v.stack()).isEmpty();
    }

    @Test
    void aBurstOfSocketsAsksForAnEarlyDigestAndThenHelpsSoRawStacksStayBounded() {
        int[] requests = {0};
        registry.digestSoonWith(() -> requests[0]++);

        for (int i = 0; i < Registry.DIGEST_NOW + 10; i++) {
            recorder.connected(null, kernel.socketOn(50000 + i % 10000), LOOPBACK, 8080, null);
        }

        assertThat(requests[0]).as("one request until a digest runs").isEqualTo(1);
        assertThat(registry.undigested()).isLessThan(Registry.DIGEST_NOW);
        assertThat(registry.snapshot().sites()).singleElement().satisfies(site -> assertThat(site.opened())
                .isEqualTo(Registry.DIGEST_NOW + 10));
    }

    @Test
    void pastTheStackBudgetRecordsSaySoInPlaceOfASiteAndAListenerStillGetsItsStack() {
        recorder = new Recorder(registry, jdk, 32, 2, true);
        long start = System.currentTimeMillis();
        FileDescriptor listener = socketWithKernelPort(8080);
        recorder.created(null, listener, false, true);
        recorder.bound(null, listener, null, 8080);
        recorder.bound(null, socketWithKernelPort(8081), null, 8081);
        for (int i = 0; i < 50; i++) {
            recorder.connected(null, socketWithKernelPort(50100 + i), LOOPBACK, 8080, null);
        }
        long windows = (System.currentTimeMillis() - start) / 1000 + 1;

        Snapshot s = registry.snapshot();
        String notSampled = "(stack not sampled: over the budget of stackRate=2 stacks per second)";
        assertThat(s.open()).filteredOn(v -> v.localPort() == 8080 || v.localPort() == 8081)
                .allSatisfy(v -> assertThat(v.site()).startsWith(getClass().getName() + "."));
        java.util.List<SocketView> connects = s.open().stream().filter(v -> v.role().equals("connect")).toList();
        assertThat(connects).hasSize(50).allSatisfy(v -> assertThat(v.site()).satisfiesAnyOf(
                site -> assertThat(site).isEqualTo(notSampled),
                site -> assertThat(site).startsWith(getClass().getName() + ".")));
        // the two binds spent the first window's budget; each later window takes two at most
        long sampled = connects.stream().filter(v -> !v.site().equals(notSampled)).count();
        assertThat(sampled).isLessThanOrEqualTo(2 * (windows - 1));
        assertThat(connects).filteredOn(v -> v.site().equals(notSampled)).allSatisfy(v -> assertThat(v.stack()).isEmpty());
        assertThat(s.sites()).anySatisfy(site -> {
            assertThat(site.site()).isEqualTo(notSampled);
            assertThat(site.opened()).isEqualTo(50 - sampled);
        });
    }

    @Test
    void socketsCountedUnderTwoSharedStacksInTurnEachCountUnderTheirOwnSite() {
        // Two recorders on one registry: one without stacks, one past its budget after its first socket.
        Recorder withoutStacks = new Recorder(registry, jdk, 0, 0, true);
        Recorder overBudget = new Recorder(registry, jdk, 32, 1, true);
        for (int i = 0; i < 10; i++) {
            withoutStacks.connected(null, socketWithKernelPort(50200 + i), LOOPBACK, 8080, null);
            overBudget.connected(null, socketWithKernelPort(50300 + i), LOOPBACK, 8080, null);
        }

        Snapshot s = registry.snapshot();
        String notSampled = "(stack not sampled: over the budget of stackRate=1 stacks per second)";
        long sampled = s.open().stream().filter(v -> v.site() != null && v.site().startsWith(getClass().getName() + ".")).count();
        assertThat(sampled).isBetween(1L, 2L);
        assertThat(s.sites()).anySatisfy(site -> {
            assertThat(site.site()).isEqualTo(Registry.UNKNOWN_SITE);
            assertThat(site.opened()).isEqualTo(10);
            assertThat(site.ephemeral()).isEqualTo(10);
        });
        assertThat(s.sites()).anySatisfy(site -> {
            assertThat(site.site()).isEqualTo(notSampled);
            assertThat(site.opened()).isEqualTo(10 - sampled);
            assertThat(site.ephemeral()).isEqualTo(10 - sampled);
        });
    }
}
