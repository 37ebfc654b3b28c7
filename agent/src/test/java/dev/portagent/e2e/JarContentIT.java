package dev.portagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The agent jar lands on the application's class path: anything in it outside dev/portagent could
 * shadow or clash with the application's own classes and services.
 */
class JarContentIT {

    private static final String LIBRARIES = "META-INF/portagent/libraries.jar";

    @Test
    void onlyPortagentClassesAndMetadata() throws IOException {
        List<String> entries = entries(agentJar());

        assertThat(entries).allSatisfy(e -> assertThat(e).matches("dev/|dev/portagent/.*|META-INF/.*"));
        assertThat(entries).contains("dev/portagent/Agent.class", "dev/portagent/bootstrap/PortHooks.class",
                "dev/portagent/bootstrap/PortListener.class", LIBRARIES);
        // A shaded library's module descriptor or multi-release variants keep its original package names.
        assertThat(entries).noneMatch(e -> e.endsWith("module-info.class") || e.startsWith("META-INF/versions/"));
        // A service file would offer our classes to the application's ServiceLoader.
        assertThat(entries).noneMatch(e -> e.startsWith("META-INF/services/") && !e.endsWith("/"));
    }

    /** The JVM reads every entry of the agent jar's directory before premain: the libraries' are not there. */
    @Test
    void theLibrariesAreAJarInsideTheAgentJar() throws IOException {
        List<String> outer = entries(agentJar());
        List<String> inner = entries(libraries());

        assertThat(outer).noneMatch(e -> e.startsWith("dev/portagent/shaded/"));
        assertThat(outer).hasSizeLessThan(400);
        // A package without clean once shaded the last build's jar and kept its libraries jar beside the new
        // one: two entries of one name, of which a reader gets either.
        assertThat(outer).doesNotHaveDuplicates();
        assertThat(inner).allSatisfy(e -> assertThat(e).matches("dev/|dev/portagent/|dev/portagent/shaded/.*"));
        assertThat(inner).contains("dev/portagent/shaded/net/bytebuddy/ByteBuddy.class",
                "dev/portagent/shaded/com/fasterxml/jackson/core/JsonFactory.class",
                "dev/portagent/shaded/com/fasterxml/jackson/databind/ObjectMapper.class");
        try (JarFile jar = agentJar()) {
            // Stored: its first use reads it as it is.
            assertThat(jar.getEntry(LIBRARIES).getMethod()).isEqualTo(ZipEntry.STORED);
        }
    }

    /**
     * The classes that name the libraries, each reached only after Libraries.ensure(): the weaver (and the
     * advice it reads) and the command line (its Launcher-Agent-Class ensures them first).
     * A new class here needs the same care, or it fails for good the first time it loads before them.
     */
    @Test
    void onlyTheseClassesNameTheLibraries() throws IOException {
        List<String> naming = new ArrayList<>();
        try (JarFile jar = agentJar()) {
            for (JarEntry e : jar.stream().filter(e -> e.getName().endsWith(".class")).toList()) {
                try (InputStream in = jar.getInputStream(e)) {
                    if (new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains("dev/portagent/shaded/")) {
                        naming.add(e.getName());
                    }
                }
            }
        }

        assertThat(naming).allSatisfy(name -> assertThat(name).matches(
                "dev/portagent/instrument/PortTransformer\\$Weaver\\.class|dev/portagent/instrument/Hooks\\$\\w+Advice\\.class"
                        + "|dev/portagent/cli/(Main|ReportTable|Who)\\.class"));
        assertThat(naming).contains("dev/portagent/instrument/PortTransformer$Weaver.class");
    }

    @Test
    void manifestMakesItAnAgent() throws IOException {
        try (JarFile jar = agentJar()) {
            Attributes main = jar.getManifest().getMainAttributes();
            assertThat(main.getValue("Premain-Class")).isEqualTo("dev.portagent.Agent");
            assertThat(main.getValue("Agent-Class")).isEqualTo("dev.portagent.Agent");
            assertThat(main.getValue("Can-Retransform-Classes")).isEqualTo("true");
            assertThat(main.getValue("Can-Redefine-Classes")).isEqualTo("true");
            // java -jar runs it before the command line's main class, which names Jackson.
            assertThat(main.getValue("Launcher-Agent-Class")).isEqualTo("dev.portagent.instrument.Libraries");
        }
    }

    private static JarFile agentJar() throws IOException {
        return new JarFile(ChildJvm.agentJar().toFile());
    }

    private static JarInputStream libraries() throws IOException {
        try (JarFile jar = agentJar()) {
            return new JarInputStream(new ByteArrayInputStream(jar.getInputStream(jar.getEntry(LIBRARIES)).readAllBytes()));
        }
    }

    private static List<String> entries(JarFile jar) throws IOException {
        try (jar) {
            return jar.stream().map(JarEntry::getName).toList();
        }
    }

    private static List<String> entries(JarInputStream jar) throws IOException {
        List<String> names = new ArrayList<>();
        try (jar) {
            for (JarEntry e = jar.getNextJarEntry(); e != null; e = jar.getNextJarEntry()) {
                names.add(e.getName());
            }
        }
        return names;
    }
}
