package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portagent.proc.EphemeralRange;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Taking the port from the JDK's own Net.localAddress instead of asking the OS a second time changes
 * no record. Each case is an application run twice against a {@link Jdk} that calls the hooks in the
 * order JDK 17 and 25 do: the old way (the recorder asks the OS) and the new way (the JDK's answer
 * reaches the recorder). Records, counters, sites and warnings must be the same, and the new way must
 * not ask the OS at all, the snapshot's fallback included.
 */
class RecorderJdkAnswerTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final EphemeralRange RANGE = new EphemeralRange(32768, 60999, "test");

    /**
     * The JDK as the hooks see it (sun.nio.ch of 17 and 25), in its order of calls. Where the two ways
     * call different hooks they do it on one line, so that the record's site and stack (that line) are
     * the same either way.
     */
    static final class Jdk {
        final FakeKernel kernel;
        private final Recorder recorder;
        private final boolean answers;

        Jdk(FakeKernel kernel, Recorder recorder, boolean answers) {
            this.kernel = kernel;
            this.recorder = recorder;
            this.answers = answers;
        }

        /** Net.socket(family, false): a UDP socket. */
        void udpSocket(FileDescriptor fd) {
            recorder.created(null, fd, true, false);
        }

        /** Net.serverSocket: ServerSocket, ServerSocketChannel, AsynchronousServerSocketChannel. */
        void serverSocket(FileDescriptor fd) {
            recorder.created(null, fd, false, true);
        }

        /** Net.bind, then Net.localAddress in every caller (ServerSocketChannelImpl.netBind listens in between). */
        void bind(FileDescriptor fd, InetAddress address, int port) {
            if (answers && port == 0) recorder.boundToAnyPort(null, fd, address); else recorder.bound(null, fd, address, port);
            readsLocalAddress(fd);
        }

        /**
         * Net.connect returning > 0, then Net.localAddress: NioSocketImpl and SocketChannelImpl.endConnect,
         * DatagramChannelImpl.connect, UnixAsynchronousSocketChannelImpl.setConnected.
         */
        void connectAtOnce(FileDescriptor fd, InetAddress remote, int port) {
            if (answers) recorder.connectedAtOnce(null, fd, remote, port); else recorder.connected(null, fd, remote, port, null);
            readsLocalAddress(fd);
        }

        /** NioSocketImpl.accept: Net.localAddress of the new socket, then the accept hook at the method's exit. */
        void acceptSocket(FileDescriptor fd) {
            readsLocalAddress(fd);
            recorder.acceptedImpl(fd);
        }

        /** ServerSocketChannel.accept: the SocketChannelImpl constructor keeps Net.localAddress in the field the hook reads. */
        void acceptChannel(FileDescriptor fd, InetSocketAddress remote) {
            InetSocketAddress local = readsLocalAddress(fd);
            recorder.accepted(null, fd, local, remote);
        }

        void close(FileDescriptor fd) {
            recorder.closed(fd);
        }

        // The JDK's own getsockname: the old way did not weave it, the new way hears the answer.
        private InetSocketAddress readsLocalAddress(FileDescriptor fd) {
            InetSocketAddress local = kernel.jdkReads(fd);
            if (answers) {
                recorder.localAddress(fd, local);
            }
            return local;
        }
    }

    private record Run(Snapshot snapshot, int osCalls) {
    }

    private static Run run(Consumer<Jdk> app, boolean answers) {
        Registry registry = new Registry(RANGE, 32, 100, () -> 0);
        FakeKernel kernel = new FakeKernel(true, 50000);
        app.accept(new Jdk(kernel, new Recorder(registry, kernel, 32, 0, true), answers));
        // After the snapshot: a socket left waiting for an answer would cost the snapshot an OS call.
        Snapshot snapshot = registry.snapshot();
        return new Run(snapshot, kernel.asked());
    }

    /** Runs the application both ways, requires the same outcome, and returns the new way's, with the old way's OS calls. */
    private static Run sameBothWays(Consumer<Jdk> app) {
        List<Run> runs = new ArrayList<>();
        for (boolean answers : new boolean[] {false, true}) {
            runs.add(run(app, answers)); // one line for both: the stacks beneath the site are the same too
        }
        Snapshot oldWay = runs.get(0).snapshot();
        Snapshot newWay = runs.get(1).snapshot();
        assertThat(newWay.open()).usingRecursiveFieldByFieldElementComparatorIgnoringFields("openedAt", "closedAt")
                .isEqualTo(oldWay.open());
        assertThat(newWay.closed()).usingRecursiveFieldByFieldElementComparatorIgnoringFields("openedAt", "closedAt")
                .isEqualTo(oldWay.closed());
        assertThat(newWay.counters()).isEqualTo(oldWay.counters());
        assertThat(newWay.sites()).isEqualTo(oldWay.sites());
        assertThat(newWay.warnings()).isEqualTo(oldWay.warnings());
        assertThat(runs.get(1).osCalls()).as("the new way asks the OS nothing").isZero();
        return new Run(newWay, runs.get(0).osCalls());
    }

    @Test
    void aListenerBoundToPortZero() {
        Run run = sameBothWays(jdk -> {
            FileDescriptor fd = jdk.kernel.socketOn(45001);
            jdk.serverSocket(fd);
            jdk.bind(fd, null, 0);
        });

        assertThat(run.osCalls()).as("the old way asked once").isEqualTo(1);
        assertThat(run.snapshot().open()).singleElement().satisfies(v -> {
            assertThat(v.role()).isEqualTo("listen");
            assertThat(v.localPort()).isEqualTo(45001);
            assertThat(v.ephemeral()).isTrue();
            assertThat(v.site()).startsWith(Jdk.class.getName() + ".bind(");
        });
    }

    @Test
    void aUdpSocketBoundImplicitlyByItsFirstSendAndClosed() {
        Run run = sameBothWays(jdk -> {
            FileDescriptor fd = jdk.kernel.socketOn(40001);
            jdk.udpSocket(fd);
            jdk.bind(fd, null, 0);
            jdk.close(fd);
        });

        assertThat(run.osCalls()).isEqualTo(1);
        assertThat(run.snapshot().closed()).singleElement().satisfies(v -> assertThat(v.protocol()).isEqualTo("udp"));
    }

    @Test
    void aConnectThatCompletedAtOnce() {
        Run run = sameBothWays(jdk -> {
            FileDescriptor fd = jdk.kernel.socketOn(50000);
            jdk.connectAtOnce(fd, LOOPBACK, 8080);
        });

        assertThat(run.osCalls()).isEqualTo(1);
        assertThat(run.snapshot().open()).singleElement().satisfies(v -> {
            assertThat(v.role()).isEqualTo("connect");
            assertThat(v.localPort()).isEqualTo(50000);
            assertThat(v.remotePort()).isEqualTo(8080);
            assertThat(v.ephemeral()).isTrue();
        });
    }

    @Test
    void aConnectToTheWildcardAddressReachedTheLoopbackAddressItLeftFrom() throws Exception {
        InetAddress wildcard = InetAddress.getByName("::");
        Run run = sameBothWays(jdk -> {
            FileDescriptor fd = new FileDescriptor();
            jdk.kernel.put(fd, new InetSocketAddress(InetAddress.getLoopbackAddress(), 40003));
            jdk.connectAtOnce(fd, wildcard, 8080);
        });

        assertThat(run.snapshot().open()).singleElement().satisfies(v -> assertThat(v.remoteAddress()).isEqualTo("::ffff:127.0.0.1"));
    }

    @Test
    void aUdpSocketThatConnectsTakesTheAddressItsConnectChose() throws Exception {
        InetAddress wildcard = InetAddress.getByName("::");
        // DatagramChannelImpl.connect binds first (bindInternal), then refreshes its local address.
        Run run = sameBothWays(jdk -> {
            FileDescriptor fd = new FileDescriptor();
            jdk.kernel.put(fd, new InetSocketAddress(wildcard, 40002));
            jdk.udpSocket(fd);
            jdk.bind(fd, null, 0);
            jdk.kernel.put(fd, new InetSocketAddress(LOOPBACK, 40002));
            jdk.connectAtOnce(fd, LOOPBACK, 53);
        });

        assertThat(run.osCalls()).as("bind(0) and the connect's address").isEqualTo(2);
        assertThat(run.snapshot().open()).singleElement().satisfies(v -> {
            assertThat(v.role()).isEqualTo("connect");
            assertThat(v.localAddress()).isEqualTo("::ffff:127.0.0.1");
            assertThat(v.localPort()).isEqualTo(40002);
        });
        assertThat(run.snapshot().counters().binds()).isEqualTo(1);
        assertThat(run.snapshot().counters().connects()).isEqualTo(1);
    }

    @Test
    void aSocketBoundToAFixedAddressAndPortThatConnectsIsStillOneRecord() {
        Run run = sameBothWays(jdk -> {
            FileDescriptor fd = jdk.kernel.socketOn(7000);
            jdk.bind(fd, LOOPBACK, 7000);
            jdk.connectAtOnce(fd, LOOPBACK, 8080);
        });

        assertThat(run.osCalls()).as("nothing to ask either way").isZero();
        assertThat(run.snapshot().open()).singleElement().satisfies(v -> assertThat(v.requestedPort()).isEqualTo(7000));
    }

    @Test
    void aFixedPortInTheEphemeralRangeIsWarnedAboutTheSame() {
        Run run = sameBothWays(jdk -> {
            FileDescriptor fd = jdk.kernel.socketOn(45678);
            jdk.serverSocket(fd);
            jdk.bind(fd, LOOPBACK, 45678);
        });

        assertThat(run.snapshot().warnings()).singleElement()
                .satisfies(w -> assertThat(w.type()).isEqualTo(Warning.FIXED_PORT_IN_EPHEMERAL_RANGE));
    }

    @Test
    void aServerSocketAcceptTakesTheAnswerTheJdkGotJustBefore() {
        Run run = sameBothWays(jdk -> jdk.acceptSocket(jdk.kernel.socketOn(45002)));

        assertThat(run.osCalls()).isEqualTo(1);
        assertThat(run.snapshot().open()).singleElement().satisfies(v -> {
            assertThat(v.role()).isEqualTo("accept");
            assertThat(v.localPort()).isEqualTo(45002);
        });
    }

    @Test
    void aChannelAcceptIsAsBefore() {
        Run run = sameBothWays(jdk -> jdk.acceptChannel(jdk.kernel.socketOn(45003), new InetSocketAddress(LOOPBACK, 40000)));

        assertThat(run.osCalls()).as("the channel's own field told it").isZero();
        assertThat(run.snapshot().open()).singleElement().satisfies(v -> assertThat(v.localPort()).isEqualTo(45003));
    }

    // --- the new way alone: answers that come twice, late, for another socket, or never ----------------

    private final FakeKernel kernel = new FakeKernel(true, 50000);
    private final Registry registry = new Registry(RANGE, 32, 100, () -> 0);
    private final Recorder recorder = new Recorder(registry, kernel, 32, 0, true);

    private void jdkReadsLocalAddress(FileDescriptor fd) {
        recorder.localAddress(fd, kernel.jdkReads(fd));
    }

    @Test
    void aConnectInProgressIsGivenItsPortAtOnce() {
        FileDescriptor fd = kernel.socketOn(50003);

        recorder.connected(null, fd, LOOPBACK, 8080, null);

        assertThat(kernel.asked()).as("no answer follows a connect in progress").isEqualTo(1);
        assertThat(registry.snapshot().open()).singleElement().satisfies(v -> assertThat(v.localPort()).isEqualTo(50003));
    }

    @Test
    void anAnswerForAnotherSocketIsNotTaken() {
        FileDescriptor accepted = kernel.socketOn(45003);
        FileDescriptor other = kernel.socketOn(45999);

        jdkReadsLocalAddress(other);
        recorder.acceptedImpl(accepted);

        assertThat(registry.snapshot().open()).singleElement().satisfies(v -> assertThat(v.localPort()).isEqualTo(45003));
        assertThat(kernel.asked()).isEqualTo(1);
    }

    @Test
    void theJdkAnsweringTwiceCountsTheSocketOnce() {
        FileDescriptor fd = kernel.socketOn(50001);

        recorder.connectedAtOnce(null, fd, LOOPBACK, 8080);
        jdkReadsLocalAddress(fd);
        jdkReadsLocalAddress(fd);

        Snapshot s = registry.snapshot();
        assertThat(s.open()).hasSize(1);
        assertThat(s.counters().connects()).isEqualTo(1);
        assertThat(s.counters().ephemeralAllocated()).isEqualTo(1);
    }

    @Test
    void aNewSocketClosedBeforeTheJdkReadItsPortLeavesNoTraceAndALateAnswerDoesNotReviveIt() {
        FileDescriptor fd = kernel.socketOn(50002);

        recorder.connectedAtOnce(null, fd, LOOPBACK, 8080);
        recorder.closed(fd);
        jdkReadsLocalAddress(fd);

        Snapshot s = registry.snapshot();
        assertThat(s.open()).isEmpty();
        assertThat(s.closed()).isEmpty();
        assertThat(s.counters().closed()).isZero();
        assertThat(kernel.asked()).isZero();
    }

    @Test
    void aShownSocketClosedBeforeTheJdkReadItsNewAddressClosesAsItWas() throws Exception {
        FileDescriptor fd = new FileDescriptor();
        kernel.put(fd, new InetSocketAddress(InetAddress.getByName("::"), 40004));
        recorder.created(null, fd, true, false);
        recorder.boundToAnyPort(null, fd, null);
        jdkReadsLocalAddress(fd);

        recorder.connectedAtOnce(null, fd, LOOPBACK, 53);
        recorder.closed(fd);

        Snapshot s = registry.snapshot();
        assertThat(s.closed()).singleElement().satisfies(v -> {
            assertThat(v.localPort()).isEqualTo(40004);
            assertThat(v.role()).isEqualTo("connect");
        });
        assertThat(s.counters().closed()).isEqualTo(1);
        assertThat(s.counters().open()).isZero();
    }

    @Test
    void aBindWhoseAnswerNeverCameIsGivenItsPortByTheSnapshot() {
        // ServerSocketChannelImpl.netBind listens between bind and Net.localAddress: a failed listen skips the answer.
        FileDescriptor fd = kernel.socketOn(45004);
        recorder.created(null, fd, false, true);
        recorder.boundToAnyPort(null, fd, null);

        Snapshot s = registry.snapshot();

        assertThat(s.open()).singleElement().satisfies(v -> {
            assertThat(v.role()).isEqualTo("listen");
            assertThat(v.localPort()).isEqualTo(45004);
            assertThat(v.site()).startsWith(getClass().getName() + ".aBindWhoseAnswerNeverCameIsGivenItsPortByTheSnapshot(");
        });
        assertThat(s.counters().binds()).isEqualTo(1);
        assertThat(kernel.asked()).as("the fallback asked the OS once").isEqualTo(1);
        jdkReadsLocalAddress(fd);
        assertThat(registry.snapshot().counters().binds()).as("a late answer changes nothing").isEqualTo(1);
    }

    @Test
    void aSocketWhoseAnswerNeverCameIsGivenItsPortAtItsNextEvent() {
        FileDescriptor fd = kernel.socketOn(45005);
        recorder.boundToAnyPort(null, fd, null);

        recorder.connected(null, fd, LOOPBACK, 8080, null);

        assertThat(kernel.asked()).isEqualTo(1);
        Snapshot s = registry.snapshot();
        assertThat(s.open()).singleElement().satisfies(v -> {
            assertThat(v.localPort()).isEqualTo(45005);
            assertThat(v.role()).isEqualTo("connect");
        });
        assertThat(s.counters().binds()).isEqualTo(1);
        assertThat(s.counters().connects()).isEqualTo(1);
    }

    @Test
    void aShownSocketWhoseNewAddressNeverCameGetsItFromTheSnapshot() throws Exception {
        FileDescriptor fd = new FileDescriptor();
        kernel.put(fd, new InetSocketAddress(InetAddress.getByName("::"), 40005));
        recorder.boundToAnyPort(null, fd, null);
        jdkReadsLocalAddress(fd);
        kernel.put(fd, new InetSocketAddress(LOOPBACK, 40005));

        recorder.connectedAtOnce(null, fd, LOOPBACK, 53);

        assertThat(registry.snapshot().open()).singleElement().satisfies(v -> {
            assertThat(v.localAddress()).isEqualTo("::ffff:127.0.0.1");
            assertThat(v.remotePort()).isEqualTo(53);
        });
        assertThat(kernel.asked()).isEqualTo(1);
    }
}
