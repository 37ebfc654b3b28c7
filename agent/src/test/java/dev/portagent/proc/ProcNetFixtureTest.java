package dev.portagent.proc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The /proc walking logic against a fake /proc tree, and against none at all. */
class ProcNetFixtureTest {

    private static final String TCP = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
            + "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1\n"
            + "   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 666 1\n"
            + "   2: 0100007F:A0B8 0100007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3\n";

    @TempDir
    Path proc;

    @Test
    void socketsOfKeepsOnlyHeldInodes() throws Exception {
        fakeProcess(42, "socket:[555]", "pipe:[777]", "anon_inode:[eventpoll]");
        fakeProcess(43, "socket:[666]", "socket:[555]");
        Files.createDirectories(proc.resolve("sys/fd"));

        assertThat(ProcNet.socketInodes(proc, 42)).containsExactly(555L);
        assertThat(ProcNet.socketFds(proc, 43)).containsExactlyInAnyOrderEntriesOf(Map.of(0, 666L, 1, 555L));
        assertThat(ProcNet.socketsOf(proc, 42)).extracting(ProcSocket::localPort).containsExactly(8080);
        assertThat(ProcNet.readNet(proc.resolve("42/net"))).hasSize(3);
        Map<Long, List<Long>> owners = ProcNet.inodeOwners(proc);
        assertThat(owners).containsOnlyKeys(555L, 666L);
        assertThat(owners.get(555L)).containsExactlyInAnyOrder(42L, 43L);
        assertThat(owners.get(666L)).containsExactly(43L);
    }

    @Test
    void aVouchedForFdNumbersLinkIsNotRead() throws Exception {
        fakeProcess(44, "socket:[555]", "socket:[666]", "pipe:[777]");

        // fd 1's link says 666: the answer is the inode the caller vouches for; fd 5 is not open.
        assertThat(ProcNet.socketFds(proc, 44, Map.of(1, 999L, 5, 888L)))
                .containsExactlyInAnyOrderEntriesOf(Map.of(0, 555L, 1, 999L));
    }

    @Test
    void unixInodesAreTheSeventhColumn() {
        String unix = "Num       RefCount Protocol Flags    Type St Inode Path\n"
                + "0000000000000000: 00000002 00000000 00010000 0001 01 21771 /run/systemd/notify\n"
                + "0000000000000000: 00000003 00000000 00000000 0001 03 46327\n"
                + "garbage\n";

        assertThat(ProcNet.unixInodes(unix)).containsExactlyInAnyOrder(21771L, 46327L);
    }

    @Test
    void eachTableIsTheFileOfItsLines() {
        for (ProcNet.Table table : ProcNet.Table.values()) {
            ProcSocket line = new ProcSocket(table.protocol, table.ipv6 ? "ipv6" : "ipv4", null, 1, null, 0, "LISTEN", 1, 0);
            assertThat(ProcNet.Table.of(line)).isEqualTo(table);
            assertThat(table.file).isEqualTo(table.protocol + (table.ipv6 ? "6" : ""));
        }
    }

    @Test
    void nothingWithoutProc() {
        Path missing = proc.resolve("does-not-exist");

        assertThat(ProcNet.readNet(missing.resolve("net"))).isEmpty();
        assertThat(ProcNet.socketInodes(missing, 1)).isEmpty();
        assertThat(ProcNet.socketFds(missing, 1)).isNull();
        assertThat(ProcNet.socketsOf(missing, 1)).isEmpty();
        assertThat(ProcNet.inodeOwners(missing)).isEmpty();
    }

    private void fakeProcess(long pid, String... fdTargets) throws Exception {
        Path fd = Files.createDirectories(proc.resolve(pid + "/fd"));
        for (int i = 0; i < fdTargets.length; i++) {
            Files.createSymbolicLink(fd.resolve(Integer.toString(i)), Path.of(fdTargets[i]));
        }
        Path net = Files.createDirectories(proc.resolve(pid + "/net"));
        Files.writeString(net.resolve("tcp"), TCP);
    }
}
