package dev.portagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The agent jar lands on the application's class path: anything in it outside dev/portagent could
 * shadow or clash with the application's own classes and services.
 */
class JarContentIT {

    @Test
    void onlyPortagentClassesAndMetadata() throws IOException {
        List<String> entries = entries();

        assertThat(entries).allSatisfy(e -> assertThat(e).matches("dev/|dev/portagent/.*|META-INF/.*"));
        assertThat(entries).contains("dev/portagent/Agent.class", "dev/portagent/bootstrap/PortHooks.class",
                "dev/portagent/bootstrap/PortListener.class",
                "dev/portagent/shaded/net/bytebuddy/ByteBuddy.class",
                "dev/portagent/shaded/com/fasterxml/jackson/core/JsonFactory.class");
        // A shaded library's module descriptor or multi-release variants keep its original package names.
        assertThat(entries).noneMatch(e -> e.endsWith("module-info.class") || e.startsWith("META-INF/versions/"));
        // A service file would offer our classes to the application's ServiceLoader.
        assertThat(entries).noneMatch(e -> e.startsWith("META-INF/services/") && !e.endsWith("/"));
    }

    @Test
    void manifestMakesItAnAgent() throws IOException {
        try (JarFile jar = new JarFile(ChildJvm.agentJar().toFile())) {
            Attributes main = jar.getManifest().getMainAttributes();
            assertThat(main.getValue("Premain-Class")).isEqualTo("dev.portagent.Agent");
            assertThat(main.getValue("Agent-Class")).isEqualTo("dev.portagent.Agent");
            assertThat(main.getValue("Can-Retransform-Classes")).isEqualTo("true");
            assertThat(main.getValue("Can-Redefine-Classes")).isEqualTo("true");
        }
    }

    private static List<String> entries() throws IOException {
        try (JarFile jar = new JarFile(ChildJvm.agentJar().toFile())) {
            return jar.stream().map(JarEntry::getName).toList();
        }
    }
}
