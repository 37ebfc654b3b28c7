package dev.portagent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Child JVMs and runs of the command line for the command line's end-to-end tests. A stop-gap until the
 * shared harness (dev.portagent.e2e.ChildJvm) is in this branch.
 */
final class CliHarness {

    static final Path JAR = Path.of(System.getProperty("portagent.jar", "target/portagent.jar")).toAbsolutePath();
    static final Path TEST_CLASSES = Path.of(System.getProperty("portagent.testClasses", "target/test-classes"));
    static final Path E2E_LIBS = Path.of(System.getProperty("portagent.e2eLibs", "target/e2e-libs"));
    static final Path JDK_17 = Path.of(System.getProperty("java.home"));
    static final Path JDK_25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
    private static final long TIMEOUT_SECONDS = 60;

    private CliHarness() {
    }

    /** The JDKs to run on: this one (17) and Temurin 25 when it is installed. */
    static Stream<Path> jdks() {
        return Stream.of(JDK_17, JDK_25);
    }

    static void assumeInstalled(Path jdk) {
        Assumptions.assumeTrue(Files.isExecutable(jdk.resolve("bin/java")), "skipped: no JDK 25 at " + jdk);
    }

    static String java(Path jdk) {
        return jdk.resolve("bin/java").toString();
    }

    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** {@code java -jar portagent.jar args} on that JDK, to its end. */
    static Result cli(Path jdk, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(java(jdk), "-jar", JAR.toString()));
        command.addAll(List.of(args));
        return run(command);
    }

    static Result run(List<String> command) throws Exception {
        Path out = Files.createTempFile("portagent-cli", ".out");
        Path err = Files.createTempFile("portagent-cli", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("did not end within " + TIMEOUT_SECONDS + " s: " + command);
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** A process whose stdout lines the test reads and whose stdin it writes. */
    static final class Child implements AutoCloseable {
        final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final StringBuffer stderr = new StringBuffer();
        private final Thread errReader;
        private final Writer stdin;

        private Child(List<String> command, Map<String, String> env) throws IOException {
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().putAll(env);
            process = builder.start();
            stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread outReader = new Thread(() -> pump(new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)), lines::add), "child-stdout");
            errReader = new Thread(() -> pump(new BufferedReader(new InputStreamReader(process.getErrorStream(),
                    StandardCharsets.UTF_8)), line -> stderr.append(line).append('\n')), "child-stderr");
            outReader.setDaemon(true);
            errReader.setDaemon(true);
            outReader.start();
            errReader.start();
        }

        static Child start(List<String> command) throws IOException {
            return new Child(command, Map.of());
        }

        static Child start(List<String> command, Map<String, String> env) throws IOException {
            return new Child(command, env);
        }

        /** A JVM running a class of the test classes, with the e2e libraries on its class path. */
        static Child jvm(Path jdk, List<String> jvmArgs, Class<?> main) throws IOException {
            return jvm(jdk, jvmArgs, main, Map.of());
        }

        static Child jvm(Path jdk, List<String> jvmArgs, Class<?> main, Map<String, String> env) throws IOException {
            List<String> command = new ArrayList<>(List.of(java(jdk)));
            command.addAll(jvmArgs);
            command.addAll(List.of("-cp", TEST_CLASSES + ":" + E2E_LIBS + "/*", main.getName()));
            return new Child(command, env);
        }

        private static void pump(BufferedReader reader, java.util.function.Consumer<String> sink) {
            try (reader) {
                for (String line; (line = reader.readLine()) != null; ) {
                    sink.accept(line);
                }
            } catch (IOException e) {
                // the child is gone
            }
        }

        /** The next stdout line, which must start with {@code prefix}. */
        String expect(String prefix) throws InterruptedException {
            String line = lines.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(line).as("stdout line of %s; its stderr so far:%n%s", process.info().commandLine().orElse("?"),
                    stderr).isNotNull().startsWith(prefix);
            return line;
        }

        /** {@code name=value} out of a line such as "ready pid=1 tcp=2". */
        static String field(String line, String name) {
            for (String word : line.split(" ")) {
                if (word.startsWith(name + "=")) {
                    return word.substring(name.length() + 1);
                }
            }
            throw new AssertionError("no " + name + " in: " + line);
        }

        void send(String line) throws IOException {
            stdin.write(line + "\n");
            stdin.flush();
        }

        long pid() {
            return process.pid();
        }

        /** Waits for the end and returns everything it wrote to stderr. */
        String awaitExit() throws Exception {
            assertThat(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("child ended").isTrue();
            errReader.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
            return stderr.toString();
        }

        String stderr() {
            return stderr.toString();
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    static JsonNode json(Path file) throws IOException {
        return new ObjectMapper().readTree(file.toFile());
    }

    static List<JsonNode> sockets(JsonNode report) {
        List<JsonNode> all = new ArrayList<>();
        report.path("sockets").forEach(all::add);
        return all;
    }

    /** The lines of a child's stderr other than the JDK's own "WARNING: " blocks (which end in a blank line). */
    static List<String> notJdkWarnings(String stderr) {
        return stderr.lines().filter(line -> !line.startsWith("WARNING: ") && !line.isBlank()).toList();
    }

    /** Skips the rest of a test that needs the MBean of issue 3 when this build does not register it yet. */
    static void assumeMBean(Result result) {
        Assumptions.assumeFalse(result.err().contains("is not registered"),
                "skipped: dev.portagent:type=Ports not registered yet");
    }
}
