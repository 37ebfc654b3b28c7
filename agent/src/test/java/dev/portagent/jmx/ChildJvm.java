package dev.portagent.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.tools.attach.VirtualMachine;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.management.MBeanServerConnection;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.provider.Arguments;

/**
 * A child JVM running a test application with the agent, driven by lines on stdin. Private to the
 * JMX end-to-end tests until the shared harness (dev.portagent.e2e) takes it over.
 */
final class ChildJvm implements AutoCloseable {

    static final Path JAR = Path.of(System.getProperty("portagent.jar", "target/portagent.jar"));
    static final Path TEST_CLASSES = Path.of(System.getProperty("portagent.testClasses", "target/test-classes"));
    static final Path E2E_LIBS = Path.of(System.getProperty("portagent.e2eLibs", "target/e2e-libs"));
    static final Path JDK_25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
    // A bound for waiting on the child, not a timing assertion: a healthy child answers at once.
    static final long PATIENCE_SECONDS = 60;

    private final Process process;
    private final Path stderr;
    private static final String EOF = new String("end of stdout"); // compared by identity
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private final Writer stdin;
    private MBeanServerConnection jmx;

    /** The JDK running the tests, and Temurin 25; a test on a missing JDK is skipped, saying so. */
    static Stream<Arguments> jdks() {
        return Stream.of(Arguments.of("JDK " + Runtime.version().feature(), Path.of(System.getProperty("java.home"))),
                Arguments.of("JDK 25", JDK_25));
    }

    static void assumePresent(Path javaHome) {
        Assumptions.assumeTrue(Files.isExecutable(javaHome.resolve("bin/java")),
                "skipped: no JDK at " + javaHome);
    }

    static ChildJvm start(Path javaHome, Path workDir, List<String> jvmArgs, Class<?> main) throws IOException {
        assumePresent(javaHome);
        List<String> command = new ArrayList<>();
        command.add(javaHome.resolve("bin/java").toString());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(TEST_CLASSES.toString());
        command.add(main.getName());
        return new ChildJvm(new ProcessBuilder(command).directory(workDir.toFile())
                .redirectError(workDir.resolve("stderr.txt").toFile()).start(), workDir.resolve("stderr.txt"));
    }

    static String agent(String options) {
        return "-javaagent:" + JAR.toAbsolutePath() + (options.isEmpty() ? "" : "=" + options);
    }

    private ChildJvm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.stdin = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the child is gone; expect() says so
            }
            lines.add(EOF);
        }, "child-stdout-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    long pid() {
        return process.pid();
    }

    void send(String command) throws IOException {
        stdin.write(command + "\n");
        stdin.flush();
    }

    /** The rest of the next stdout line that is {@code prefix} or starts with {@code prefix + " "}. */
    String expect(String prefix) throws Exception {
        for (;;) {
            String line = lines.poll(PATIENCE_SECONDS, TimeUnit.SECONDS);
            if (line == EOF) {
                lines.add(EOF);
                line = null;
            }
            if (line == null) {
                throw new AssertionError("the child did not print '" + prefix + " ...'; stdout so far: " + seen
                        + "; alive: " + process.isAlive() + "; stderr: " + stderr());
            }
            seen.add(line);
            if (line.equals(prefix) || line.startsWith(prefix + " ")) {
                return line.substring(Math.min(line.length(), prefix.length() + 1));
            }
        }
    }

    /** Everything the child printed on stdout that no expect() consumed yet, and what it consumed. */
    List<String> stdout() {
        List<String> all = new ArrayList<>(seen);
        lines.drainTo(all);
        all.remove(EOF);
        return all;
    }

    String stderr() throws IOException {
        return Files.exists(stderr) ? Files.readString(stderr) : "";
    }

    /**
     * Attaches, starts the child's local management agent and connects a client that has none of
     * portagent's classes.
     */
    MBeanServerConnection jmx() throws Exception {
        if (jmx == null) {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid()));
            String address;
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
            ClassLoader bare = new URLClassLoader(new URL[] {TEST_CLASSES.toUri().toURL()},
                    ClassLoader.getPlatformClassLoader());
            assertThatThrownBy(() -> Class.forName("dev.portagent.registry.SocketView", false, bare))
                    .as("the JMX client must not see portagent's classes").isInstanceOf(ClassNotFoundException.class);
            jmx = (MBeanServerConnection) Class.forName("dev.portagent.jmx.bare.BareJmxClient", true, bare)
                    .getMethod("connect", String.class).invoke(null, address);
            assertThat(jmx.getClass().getClassLoader()).isSameAs(bare);
        }
        return jmx;
    }

    int waitForExit() throws Exception {
        assertThat(process.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)).as("the child exits").isTrue();
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        if (jmx != null) {
            try {
                ((Closeable) jmx).close();
            } catch (IOException ignored) {
                // the child may be gone already
            }
        }
        process.destroy();
        if (!process.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
