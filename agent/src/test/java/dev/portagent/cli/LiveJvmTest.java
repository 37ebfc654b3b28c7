package dev.portagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** No JDK older than 17 is installed here: the version check is tested on the values such a JVM reports. */
class LiveJvmTest {

    @Test
    void javaOlderThan17IsRefusedWithItsVersion() {
        assertThat(LiveJvm.versionProblem(42, "1.8", "1.8.0_402"))
                .isEqualTo("portagent: JVM 42 runs Java 1.8.0_402; portagent needs Java 17 or later");
        assertThat(LiveJvm.versionProblem(42, "11", "11.0.22"))
                .isEqualTo("portagent: JVM 42 runs Java 11.0.22; portagent needs Java 17 or later");
        assertThat(LiveJvm.versionProblem(42, "16", "16.0.2")).contains("needs Java 17 or later");
    }

    @Test
    void java17AndLaterAreAccepted() {
        assertThat(LiveJvm.versionProblem(42, "17", "17.0.21")).isNull();
        assertThat(LiveJvm.versionProblem(42, "21", "21.0.5")).isNull();
        assertThat(LiveJvm.versionProblem(42, "25", "25.0.3")).isNull();
    }

    @Test
    void anUnreadableVersionIsSaidAsSuch() {
        assertThat(LiveJvm.versionProblem(42, "?", "?")).isEqualTo("portagent: JVM 42 reports an unknown Java version \"?\"");
    }
}
