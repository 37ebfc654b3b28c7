package dev.portagent.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
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
    void agesAreShortAndPrecise() {
        assertThat(TableText.age(-5)).isEqualTo("0s");
        assertThat(TableText.age(42_999)).isEqualTo("42s");
        assertThat(TableText.age(187_000)).isEqualTo("3m07s");
        assertThat(TableText.age(5 * 3600_000L + 120_000)).isEqualTo("5h02m");
        assertThat(TableText.age(12 * 86_400_000L + 4 * 3600_000L)).isEqualTo("12d04h");
    }
}
