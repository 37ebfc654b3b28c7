package dev.portagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessesTest {

    @Test
    void mainOfACommandLine() {
        assertThat(Processes.mainOf(List.of("java", "-Xmx1g", "-cp", "a.jar:b", "com.example.App", "x"))).isEqualTo("com.example.App");
        assertThat(Processes.mainOf(List.of("/usr/bin/java", "-Dx=1", "-jar", "app.jar", "--port", "1"))).isEqualTo("app.jar");
        assertThat(Processes.mainOf(List.of("java", "--module-path", "mods", "-m", "m/com.example.Main"))).isEqualTo("m/com.example.Main");
        assertThat(Processes.mainOf(List.of("java", "--module=m/x.Main"))).isEqualTo("m/x.Main");
        assertThat(Processes.mainOf(List.of("java", "-version"))).isNull();
        assertThat(Processes.mainOf(List.of())).isNull();
    }

    @Test
    void launcherOptionsStopAtTheMainClass() {
        assertThat(Processes.launcherOptions(List.of("java", "-XX:+DisableAttachMechanism", "-cp", "x", "Main",
                "-XX:-DisableAttachMechanism"))).containsExactly("-XX:+DisableAttachMechanism", "-cp", "x");
    }

    @Test
    void theLastSettingOfAFlagWins() {
        assertThat(Processes.flag(List.of("-XX:+DisableAttachMechanism"), "DisableAttachMechanism")).isTrue();
        assertThat(Processes.flag(List.of("-XX:+EnableDynamicAgentLoading", "-XX:-EnableDynamicAgentLoading"),
                "EnableDynamicAgentLoading")).isFalse();
        assertThat(Processes.flag(List.of("-Xmx1g"), "EnableDynamicAgentLoading")).isNull();
    }

    @Test
    void thisProcessAsProcSeesIt() {
        long self = ProcessHandle.current().pid();
        assertThat(Processes.exists(self)).isTrue();
        assertThat(Processes.isJvm(self)).isTrue();
        assertThat(Processes.uid(self)).isEqualTo(Processes.selfUid());
        assertThat(Processes.cmdline(self)).isNotEmpty();
        assertThat(Processes.exists(Long.MAX_VALUE)).isFalse();
    }
}
