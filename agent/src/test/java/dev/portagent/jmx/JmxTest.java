package dev.portagent.jmx;

import dev.portagent.report.Formats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portagent.options.AgentOptions;
import dev.portagent.registry.SocketView;
import java.nio.file.Path;
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
    void theDigesterMakesViewsForWhatPressureCountsAndForEverythingWithNotifyAll() throws Exception {
        for (String notify : new String[] {"warnings", "none", "all"}) {
            Jmx jmx = new Jmx(new FakeSockets().registry, AgentOptions.parse("notify=" + notify, Map.of(), Map.of()));
            for (boolean udp : new boolean[] {false, true}) {
                for (String role : List.of("listen", "connect", "accept", "bind")) {
                    for (boolean ephemeral : new boolean[] {false, true}) {
                        SocketView v = new SocketView(1, udp ? "udp" : "tcp", role, "ipv4", "127.0.0.1", 40000,
                                "127.0.0.1", 80, 0, ephemeral, true, "open", EphemeralPressureTest.T0, 0, "main", 1,
                                false, null, List.of(), null, "agent");
                        assertThat(jmx.wants(udp, role, ephemeral)).as("notify=%s %s", notify, v)
                                .isEqualTo(notify.equals("all") || EphemeralPressure.counts(v));
                    }
                }
            }
        }
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
