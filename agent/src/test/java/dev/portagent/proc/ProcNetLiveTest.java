package dev.portagent.proc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** This JVM's own sockets as /proc shows them. */
class ProcNetLiveTest {

    private static final long PID = ProcessHandle.current().pid();

    @BeforeAll
    static void linux() {
        assumeTrue(ProcNet.available(), "skipped: no readable /proc/net/tcp");
    }

    @Test
    void selfPidIsTheJdksPid() {
        assertThat(ProcNet.selfPid()).isEqualTo(PID);
    }

    @Test
    void listeningSocket() throws IOException {
        ProcSocket seen;
        try (ServerSocket server = new ServerSocket(0)) {
            seen = held("tcp", server.getLocalPort());
            assertThat(seen.state()).isEqualTo("LISTEN");
            assertThat(ProcNet.inodeOwners().get(seen.inode())).contains(PID);
            assertThat(ProcNet.socketInodes(PID)).contains(seen.inode());
            assertThat(ProcFds.socketInodesOfThisProcess()).as("/proc/self/fd").contains(seen.inode());
            assertThat(ProcNet.readAll(PID)).contains(seen);
            assertThat(ProcNet.readAll()).contains(seen);
        }
        assertThat(ProcNet.socketsOf(PID)).doesNotContain(seen);
        assertThat(ProcFds.socketInodesOfThisProcess()).doesNotContain(seen.inode());
    }

    @Test
    void eachFileAloneAndUnixSockets() throws IOException {
        try (ServerSocket server = new ServerSocket(0);
             DatagramSocket udp = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             ServerSocketChannel unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            unix.bind(null);
            ProcSocket listener = held("tcp", server.getLocalPort());
            ProcSocket datagram = held("udp", udp.getLocalPort());
            List<ProcSocket> all = ProcNet.readOrNull(EnumSet.allOf(ProcNet.Table.class));
            assertThat(all).contains(listener, datagram);
            List<ProcSocket> byFile = new ArrayList<>();
            for (ProcNet.Table table : ProcNet.Table.values()) {
                List<ProcSocket> file = ProcNet.readOrNull(EnumSet.of(table));
                assertThat(file).allSatisfy(s -> assertThat(ProcNet.Table.of(s)).isEqualTo(table));
                byFile.addAll(file);
            }
            assertThat(byFile).contains(listener, datagram);
            assertThat(ProcNet.readOrNull(EnumSet.noneOf(ProcNet.Table.class))).isEmpty();
            Set<Long> inet = new HashSet<>();
            all.forEach(s -> inet.add(s.inode()));
            Set<Long> notInet = new HashSet<>(ProcNet.socketFds(PID).values());
            notInet.removeAll(inet);
            assertThat(notInet).as("our Unix socket").isNotEmpty();
            assertThat(ProcNet.unixInodesOrNull()).containsAll(notInet).doesNotContain(listener.inode(), datagram.inode());
        }
    }

    @Test
    void connectedPair() throws IOException {
        List<ProcSocket> seen;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(server.getInetAddress(), server.getLocalPort());
             Socket accepted = server.accept()) {
            ProcSocket clientSide = held("tcp", client.getLocalPort());
            ProcSocket acceptedSide = single(s -> s.protocol().equals("tcp") && s.localPort() == server.getLocalPort()
                    && s.remotePort() == client.getLocalPort());
            assertThat(clientSide.state()).isEqualTo("ESTABLISHED");
            assertThat(clientSide.remotePort()).isEqualTo(server.getLocalPort());
            assertThat(clientSide.localAddress()).isEqualTo(client.getLocalAddress());
            assertThat(acceptedSide.state()).isEqualTo("ESTABLISHED");
            assertThat(acceptedSide.inode()).isNotEqualTo(clientSide.inode());
            seen = List.of(clientSide, acceptedSide);
        }
        assertThat(ProcNet.socketsOf(PID)).doesNotContainAnyElementsOf(seen);
    }

    @Test
    void datagramSockets() throws IOException {
        List<ProcSocket> seen;
        try (DatagramSocket unconnected = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             DatagramSocket connected = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            connected.connect(unconnected.getLocalSocketAddress());
            ProcSocket a = held("udp", unconnected.getLocalPort());
            ProcSocket b = held("udp", connected.getLocalPort());
            assertThat(a.state()).isEqualTo("UNCONN");
            assertThat(b.state()).isEqualTo("ESTAB");
            assertThat(b.remotePort()).isEqualTo(unconnected.getLocalPort());
            seen = List.of(a, b);
        }
        assertThat(ProcNet.socketsOf(PID)).doesNotContainAnyElementsOf(seen);
    }

    @Test
    void ipv6Loopback() throws IOException {
        InetAddress loopback6 = InetAddress.getByName("::1");
        ProcSocket seen;
        try (ServerSocket server = new ServerSocket()) {
            try {
                server.bind(new InetSocketAddress(loopback6, 0));
            } catch (IOException e) {
                assumeTrue(false, "skipped: cannot bind ::1 (" + e + ")");
            }
            seen = held("tcp", server.getLocalPort());
            assertThat(seen.family()).isEqualTo("ipv6");
            assertThat(seen.localAddress()).isEqualTo(loopback6);
            assertThat(seen.state()).isEqualTo("LISTEN");
        }
        assertThat(ProcNet.socketsOf(PID)).doesNotContain(seen);
    }

    private static ProcSocket held(String protocol, int localPort) {
        return single(s -> s.protocol().equals(protocol) && s.localPort() == localPort);
    }

    private static ProcSocket single(Predicate<ProcSocket> match) {
        List<ProcSocket> sockets = ProcNet.socketsOf(PID);
        List<ProcSocket> matching = sockets.stream().filter(match).toList();
        assertThat(matching).as("matching sockets among %s", sockets).hasSize(1);
        return matching.get(0);
    }
}
