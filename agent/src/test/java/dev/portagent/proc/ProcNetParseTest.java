package dev.portagent.proc;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Parsing of fixture text captured from a 6.x x86-64 kernel (trailing blanks kept as the kernel prints them). */
class ProcNetParseTest {

    private static final String TCP_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
            + "retrnsmt   uid  timeout inode                                                     \n";
    private static final String TCP6_HEADER = "  sl  local_address                         remote_address        "
            + "                st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    private static final String UDP_HEADER = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
            + "retrnsmt   uid  timeout inode ref pointer drops            \n";

    @Test
    void ipv4ListenEstablishedAndTimeWait() throws Exception {
        String tcp = TCP_HEADER
                + "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 6749 1 "
                + "00000000f22070ad 100 0 0 10 0                      \n"
                + "   2: 0100007F:CE3C 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 6752 2 "
                + "0000000033eda8b2 20 0 0 10 -1                      \n"
                + "   3: 0100007F:A0B8 0100007F:1F91 06 00000000:00000000 03:00001770 00000000     0        0 0 3 "
                + "000000000ab59b44                                      \n";

        assertThat(ProcNet.parse("tcp", false, tcp)).containsExactly(
                new ProcSocket("tcp", "ipv4", ip("127.0.0.1"), 8080, ip("0.0.0.0"), 0, "LISTEN", 6749, 1000),
                new ProcSocket("tcp", "ipv4", ip("127.0.0.1"), 0xCE3C, ip("127.0.0.1"), 8080, "ESTABLISHED", 6752, 0),
                new ProcSocket("tcp", "ipv4", ip("127.0.0.1"), 0xA0B8, ip("127.0.0.1"), 8081, "TIME_WAIT", 0, 0));
    }

    @Test
    void ipv4AddressWordIsHostOrder() throws Exception {
        String tcp = TCP_HEADER
                + "   0: 0A01A8C0:0016 6401A8C0:D431 01 00000000:00000000 00:00000000 00000000     0        0 7 1\n";

        ProcSocket socket = ProcNet.parse("tcp", false, tcp).get(0);

        assertThat(socket.localAddress()).isEqualTo(ip("192.168.1.10"));
        assertThat(socket.remoteAddress()).isEqualTo(ip("192.168.1.100"));
        assertThat(socket.localPort()).isEqualTo(22);
        assertThat(socket.remotePort()).isEqualTo(0xD431);
    }

    @Test
    void ipv6LoopbackAndWildcard() throws Exception {
        String tcp6 = TCP6_HEADER
                + "   1: 00000000000000000000000001000000:E7A3 00000000000000000000000000000000:0000 0A 00000000:00000000 "
                + "00:00000000 00000000     0        0 6750 1 00000000002275b2 100 0 0 10 0\n"
                + "   2: B80D0120000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 "
                + "00:00000000 00000000     0        0 6760 1 00000000002275b2 100 0 0 10 0\n";

        List<ProcSocket> sockets = ProcNet.parse("tcp", true, tcp6);

        assertThat(sockets).containsExactly(
                new ProcSocket("tcp", "ipv6", ip("::1"), 0xE7A3, ip("::"), 0, "LISTEN", 6750, 0),
                new ProcSocket("tcp", "ipv6", ip("2001:db8::1"), 80, ip("::"), 0, "LISTEN", 6760, 0));
        assertThat(sockets.get(0).localAddress()).isInstanceOf(Inet6Address.class);
    }

    @Test
    void ipv4MappedAddressIsInet4InIpv6Family() throws Exception {
        String tcp6 = TCP6_HEADER
                + "   0: 0000000000000000FFFF00000100007F:DD5D 00000000000000000000000000000000:0000 0A 00000000:00000000 "
                + "00:00000000 00000000     0        0 6751 1 00000000c5f1601a 100 0 0 10 0\n";

        ProcSocket socket = ProcNet.parse("tcp", true, tcp6).get(0);

        assertThat(socket.localAddress()).isInstanceOf(Inet4Address.class).isEqualTo(ip("127.0.0.1"));
        assertThat(socket.family()).isEqualTo("ipv6");
        assertThat(socket.localPort()).isEqualTo(0xDD5D);
    }

    @ParameterizedTest
    @CsvSource({"01,ESTABLISHED", "02,SYN_SENT", "03,SYN_RECV", "04,FIN_WAIT1", "05,FIN_WAIT2", "06,TIME_WAIT",
            "07,CLOSE", "08,CLOSE_WAIT", "09,LAST_ACK", "0A,LISTEN", "0B,CLOSING", "0C,NEW_SYN_RECV",
            "0D,BOUND_INACTIVE", "0E,UNKNOWN_e", "00,UNKNOWN_0"})
    void tcpStates(String code, String name) {
        String tcp = TCP_HEADER + "   0: 0100007F:1F90 0100007F:CE3C " + code
                + " 00000000:00000000 00:00000000 00000000     0        0 6752 2 0000000033eda8b2 20 0 0 10 -1\n";

        assertThat(ProcNet.parse("tcp", false, tcp)).singleElement().extracting(ProcSocket::state).isEqualTo(name);
    }

    @Test
    void udpUnconnectedAndConnected() throws Exception {
        // the "sl" column is a hash slot here, wide enough to lose its leading blanks
        String udp = UDP_HEADER
                + "14020: 0100007F:C556 0100007F:C9E6 01 00000000:00000000 00:00000000 00000000     0        0 6758 2 "
                + "000000000a80b4b0 0          \n"
                + "15188: 00000000:C9E6 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 6757 2 "
                + "000000007994996c 0          \n";

        assertThat(ProcNet.parse("udp", false, udp)).containsExactly(
                new ProcSocket("udp", "ipv4", ip("127.0.0.1"), 0xC556, ip("127.0.0.1"), 0xC9E6, "ESTAB", 6758, 0),
                new ProcSocket("udp", "ipv4", ip("0.0.0.0"), 0xC9E6, ip("0.0.0.0"), 0, "UNCONN", 6757, 101));
    }

    @Test
    void udp6() throws Exception {
        String udp6 = TCP6_HEADER
                + "15090: 00000000000000000000000001000000:C984 00000000000000000000000000000000:0000 07 00000000:00000000 "
                + "00:00000000 00000000     0        0 6759 2 000000005f077220 0";

        assertThat(ProcNet.parse("udp", true, udp6)).containsExactly(
                new ProcSocket("udp", "ipv6", ip("::1"), 0xC984, ip("::"), 0, "UNCONN", 6759, 0));
    }

    @Test
    void skipsHeaderBlankAndMalformedLines() {
        String tcp = TCP_HEADER
                + "\n"
                + "   0: 0100007F:1F90 00000000:0000 0A\n"
                + "   1: 0100007:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n"
                + "   2: 0100007F:1F90 00000000:0000 ZZ 00000000:00000000 00:00000000 00000000     0        0 2 1\n"
                + "   3: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1   \n";

        assertThat(ProcNet.parse("tcp", false, tcp)).extracting(ProcSocket::inode).containsExactly(3L);
        assertThat(ProcNet.parse("tcp", false, "")).isEmpty();
        assertThat(ProcNet.parse("tcp", false, TCP_HEADER.strip())).isEmpty();
    }

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal);
    }
}
