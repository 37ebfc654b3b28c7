package dev.portagent.proc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EphemeralRangeTest {

    @Test
    void readsKernelRange() {
        assumeTrue(Files.isReadable(EphemeralRange.FILE.toPath()), "skipped: no " + EphemeralRange.FILE);

        // this machine keeps the kernel default
        assertThat(EphemeralRange.read()).isEqualTo(
                new EphemeralRange(32768, 60999, "/proc/sys/net/ipv4/ip_local_port_range"));
    }

    @Test
    void parsesTabSeparatedPair() {
        EphemeralRange range = EphemeralRange.parse("1024\t65000\n", "fixture");

        assertThat(range).isEqualTo(new EphemeralRange(1024, 65000, "fixture"));
        assertThat(range.size()).isEqualTo(63977);
        assertThat(range.contains(1024)).isTrue();
        assertThat(range.contains(65000)).isTrue();
        assertThat(range.contains(1023)).isFalse();
        assertThat(range.contains(65001)).isFalse();
    }

    @Test
    void fallsBackToIanaOnGarbage() {
        EphemeralRange range = EphemeralRange.parse("not a range\n", "fixture");

        assertThat(range.low()).isEqualTo(49152);
        assertThat(range.high()).isEqualTo(65535);
        assertThat(range.size()).isEqualTo(16384);
        assertThat(range.source()).startsWith("IANA default (").contains("fixture", "not a range");
        assertThat(EphemeralRange.parse("60999 32768", "fixture").source()).startsWith("IANA default (");
    }

    @Test
    void fallsBackToIanaWhenUnreadable(@TempDir Path dir) {
        EphemeralRange range = EphemeralRange.read(dir.resolve("missing").toFile());

        assertThat(range.low()).isEqualTo(49152);
        assertThat(range.source()).startsWith("IANA default (").contains("missing").endsWith(")");
    }
}
