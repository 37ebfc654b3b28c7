package dev.portagent.e2e;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A child JVM started as {@code java [jvmArgs] [-javaagent:JAR[=OPTIONS]] -cp CLASSPATH MAIN args...}
 * (or {@code -jar JAR args...}), with its stdout and stderr captured in full. Use in try-with-resources:
 * {@link #close()} kills it, so a failing test leaves no process behind. {@link #process} starts a child
 * that is no JVM, for the tests that need one, with the same reading and the same clean-up.
 */
public final class ChildJvm implements AutoCloseable {

    public enum Signal { TERM, INT }

    private final List<String> command;
    private final Process process;
    private final Output stdout;
    private final Output stderr;
    private final Writer stdin;

    private ChildJvm(List<String> command, Path directory, Map<String, String> env) throws IOException {
        this.command = List.copyOf(command);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        if (directory != null) {
            builder.directory(directory.toFile());
        }
        this.process = builder.start();
        this.stdout = new Output("stdout", process.getInputStream(), process.pid());
        this.stderr = new Output("stderr", process.getErrorStream(), process.pid());
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    public static Builder on(Jdk jdk) {
        return new Builder(jdk);
    }

    /** A child that is no JVM, such as {@code sleep} or {@code python3}. */
    public static ChildJvm process(String... command) {
        try {
            return new ChildJvm(List.of(command), null, Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + List.of(command), e);
        }
    }

    /** Runs a command that is no JVM to its end. */
    public static Ended run(Duration timeout, String... command) {
        try (ChildJvm child = process(command)) {
            return child.ended(timeout);
        }
    }

    /** The compiled test classes, which hold the child applications. */
    public static Path testClasspath() {
        String configured = System.getProperty("portagent.testClasses");
        if (configured != null) {
            return Path.of(configured);
        }
        // surefire does not set the property; the directory this class was loaded from is the same one
        try {
            return Path.of(ChildJvm.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Jars of the e2e-libs directory whose names start with any of the prefixes; each must match one. */
    public static List<Path> libs(String... jarNamePrefixes) {
        String configured = System.getProperty("portagent.e2eLibs");
        return libs(configured != null ? Path.of(configured) : targetDir().resolve("e2e-libs"), jarNamePrefixes);
    }

    static List<Path> libs(Path dir, String... jarNamePrefixes) {
        List<Path> jars;
        try (Stream<Path> files = Files.list(dir)) {
            jars = files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("no e2e libraries at " + dir
                    + " (maven-dependency-plugin copies them in pre-integration-test: run mvn verify)", e);
        }
        List<Path> chosen = new ArrayList<>();
        for (String prefix : jarNamePrefixes) {
            List<Path> matching = jars.stream().filter(j -> j.getFileName().toString().startsWith(prefix)).toList();
            if (matching.isEmpty()) {
                throw new IllegalStateException("no jar starting with '" + prefix + "' in " + dir + ", only " + jars);
            }
            matching.stream().filter(j -> !chosen.contains(j)).forEach(chosen::add);
        }
        return chosen;
    }

    /** The built agent jar, which must exist; absolute, as the command line names it in its messages. */
    public static Path agentJar() {
        String configured = System.getProperty("portagent.jar");
        Path jar = (configured != null ? Path.of(configured) : targetDir().resolve("portagent.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no agent jar at " + jar + " (the package phase builds it: run mvn verify)");
        }
        return jar;
    }

    private static Path targetDir() {
        return testClasspath().getParent();
    }

    public long pid() {
        return process.pid();
    }

    public List<String> command() {
        return command;
    }

    /** Everything the child printed on stdout so far. */
    public String stdout() {
        return stdout.text();
    }

    public String stderr() {
        return stderr.text();
    }

    /** The first stdout line (since the start) that matches; fails when none does in time or the child exits. */
    public String awaitLine(Predicate<String> match, Duration timeout) {
        Optional<String> line = stdout.await(match, timeout);
        if (line.isPresent()) {
            return line.get();
        }
        if (stdout.ended()) {
            awaitQuietly(Duration.ofSeconds(5)); // the child is exiting: let its exit code and stderr into the message
            throw new AssertionError("stdout ended without a matching line\n" + describe());
        }
        throw new AssertionError("no matching stdout line within " + timeout + "\n" + describe() + threadDump());
    }

    /** The first stdout line (since the start) in which {@code regex} is found, as a match for its groups. */
    public MatchResult awaitLine(String regex, Duration timeout) {
        Pattern pattern = Pattern.compile(regex);
        Matcher matcher = pattern.matcher(awaitLine(line -> pattern.matcher(line).find(), timeout));
        matcher.find();
        return matcher.toMatchResult();
    }

    /**
     * The next stdout line, after the one this method returned last, which must match {@code regex}
     * (found, as in {@link #awaitLine(String, Duration)}). For a child that answers each command with one
     * line: an answer is then never mistaken for the same answer to an earlier command, and an answer out
     * of turn fails the test.
     */
    public MatchResult nextLine(String regex, Duration timeout) {
        Optional<String> line = stdout.next(timeout);
        if (line.isEmpty()) {
            if (stdout.ended()) {
                awaitQuietly(Duration.ofSeconds(5));
                throw new AssertionError("stdout ended before a line matching " + regex + "\n" + describe());
            }
            throw new AssertionError("no next stdout line within " + timeout + " (wanted " + regex + ")\n"
                    + describe() + threadDump());
        }
        Matcher matcher = Pattern.compile(regex).matcher(line.get());
        if (!matcher.find()) {
            throw new AssertionError("the next stdout line is \"" + line.get() + "\", not one matching " + regex
                    + "\n" + describe());
        }
        return matcher.toMatchResult();
    }

    /** Writes a line to the child's stdin. */
    public void send(String line) {
        try {
            stdin.write(line + "\n");
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to the stdin of " + pid(), e);
        }
    }

    /** Waits for the child to exit and its output to be read to the end; returns the exit code. */
    public int awaitExit(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)
                    || !stdout.awaitEnd(deadline) || !stderr.awaitEnd(deadline)) {
                throw new AssertionError("no exit within " + timeout + "\n" + describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + pid(), e);
        }
        return process.exitValue();
    }

    /** Waits for the exit, as {@link #awaitExit}, and keeps what the child left. */
    public Ended ended(Duration timeout) {
        int exit = awaitExit(timeout);
        return new Ended(exit, stdout(), stderr(), describe());
    }

    /** A child that has run to its end: exit code, all it printed, and {@link #describe()} for messages. */
    public record Ended(int exit, String stdout, String stderr, String description) {
        @Override
        public String toString() {
            return description;
        }
    }

    private void awaitQuietly(Duration timeout) {
        try {
            if (process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                stderr.awaitEnd(System.nanoTime() + timeout.toNanos());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void signal(Signal signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal.name(), Long.toString(pid()))
                    .redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (kill.waitFor() != 0) {
                throw new AssertionError("kill -" + signal.name() + " " + pid() + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while signalling " + pid(), e);
        }
    }

    /**
     * The threads of a child that is still running, from the jcmd beside its java, for the message of a
     * child that missed its line: a hang is then diagnosed from the CI log alone. Empty when none is taken.
     */
    private String threadDump() {
        Path jcmd = Path.of(command.get(0)).resolveSibling("jcmd");
        if (!process.isAlive() || !Files.isExecutable(jcmd)) {
            return "";
        }
        try {
            Path dump = Files.createTempFile("portagent-threads-", ".txt");
            try {
                Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "Thread.print")
                        .redirectErrorStream(true).redirectOutput(dump.toFile()).start();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return "\n(no thread dump: jcmd did not answer in 30 s)";
                }
                return "\n--- threads (jcmd Thread.print) ---\n" + Files.readString(dump) + "---";
            } finally {
                Files.deleteIfExists(dump);
            }
        } catch (IOException e) {
            return "\n(no thread dump: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** Command, state and output, for assertion messages. */
    public String describe() {
        String state = process.isAlive() ? "running" : "exited " + process.exitValue();
        return "child " + pid() + " (" + state + "): " + String.join(" ", command)
                + "\n--- stdout ---\n" + stdout() + "--- stderr ---\n" + stderr() + "---";
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            stdin.close();
        } catch (IOException e) {
            // the child is gone; nothing to flush to
        }
    }

    public static final class Builder {
        private final Jdk jdk;
        private final List<String> jvmArgs = new ArrayList<>();
        private final List<Path> classpath = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private final List<String> launcher = new ArrayList<>();
        private String agentArg;
        private String mainClass;
        private Path jar;
        private Path directory;
        private final Map<String, String> env = new HashMap<>();

        private Builder(Jdk jdk) {
            this.jdk = jdk;
        }

        public Builder jvmArgs(String... jvmArgs) {
            this.jvmArgs.addAll(List.of(jvmArgs));
            return this;
        }

        /** Attaches the built agent without options. */
        public Builder agent() {
            return agent(null);
        }

        /** Attaches the built agent; {@code options} is the text after '=', or null for none. */
        public Builder agent(String options) {
            this.agentArg = "-javaagent:" + agentJar() + (options == null ? "" : "=" + options);
            return this;
        }

        public Builder classpath(Path... entries) {
            return classpath(List.of(entries));
        }

        public Builder classpath(Collection<Path> entries) {
            classpath.addAll(entries);
            return this;
        }

        public Builder mainClass(Class<?> mainClass) {
            return mainClass(mainClass.getName());
        }

        public Builder mainClass(String mainClass) {
            this.mainClass = mainClass;
            return this;
        }

        /** Runs {@code java -jar jar} instead of a main class. */
        public Builder jar(Path jar) {
            this.jar = jar;
            return this;
        }

        public Builder args(String... args) {
            this.args.addAll(List.of(args));
            return this;
        }

        /**
         * A command that runs java as another user or so: with one that execs java in its own place, such
         * as setpriv, {@link #pid()} stays the JVM's; with runuser, which waits for it, it is runuser's.
         */
        public Builder launcher(String... command) {
            this.launcher.addAll(List.of(command));
            return this;
        }

        /** Starts the child and waits for its end. */
        public Ended run(Duration timeout) {
            try (ChildJvm child = start()) {
                return child.ended(timeout);
            }
        }

        /** Working directory of the child; the test's own by default. */
        public Builder directory(Path directory) {
            this.directory = directory;
            return this;
        }

        /** An environment variable of the child, on top of this process's environment. */
        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        public Builder env(Map<String, String> variables) {
            env.putAll(variables);
            return this;
        }

        /** Starts the child; a test on a missing JDK is skipped here if it did not skip itself. */
        public ChildJvm start() {
            jdk.assumePresent();
            if ((mainClass == null) == (jar == null)) {
                throw new IllegalStateException("give a main class or a jar, one of them");
            }
            List<String> command = new ArrayList<>(launcher);
            command.add(jdk.javaExecutable().toString());
            command.addAll(jvmArgs);
            if (agentArg != null) {
                command.add(agentArg);
            }
            if (!classpath.isEmpty()) {
                command.add("-cp");
                command.add(classpath.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator)));
            }
            if (jar != null) {
                command.add("-jar");
                command.add(jar.toString());
            } else {
                command.add(mainClass);
            }
            command.addAll(args);
            try {
                return new ChildJvm(command, directory, env);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + command, e);
            }
        }
    }

    /**
     * One output stream of the child, read to the end by a daemon thread: the text exactly as written
     * (a missing last newline shows), and its lines for waiters.
     */
    private static final class Output {
        private final StringBuilder text = new StringBuilder();
        private final List<String> lines = new ArrayList<>();
        private int lineStart;
        private int nextLine;
        private boolean ended;

        Output(String name, InputStream in, long pid) {
            Thread reader = new Thread(() -> readAll(in), "child-" + pid + "-" + name);
            reader.setDaemon(true);
            reader.start();
        }

        private void readAll(InputStream in) {
            char[] buffer = new char[8192];
            try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                for (int n; (n = reader.read(buffer)) >= 0; ) {
                    synchronized (this) {
                        text.append(buffer, 0, n);
                        for (int newline; (newline = text.indexOf("\n", lineStart)) >= 0; lineStart = newline + 1) {
                            lines.add(stripCarriageReturn(text.substring(lineStart, newline)));
                        }
                        notifyAll();
                    }
                }
            } catch (IOException e) {
                // the stream was closed under us by close(): what we read is all there is
            } finally {
                synchronized (this) {
                    if (lineStart < text.length()) {
                        lines.add(stripCarriageReturn(text.substring(lineStart)));
                    }
                    ended = true;
                    notifyAll();
                }
            }
        }

        private static String stripCarriageReturn(String line) {
            return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        }

        synchronized String text() {
            return text.toString();
        }

        /** The line after the one this returned last; empty when the stream ends or time runs out first. */
        synchronized Optional<String> next(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (nextLine >= lines.size()) {
                if (ended || !waitUntil(deadline)) {
                    return Optional.empty();
                }
            }
            return Optional.of(lines.get(nextLine++));
        }

        /** Waits for a matching line; empty when the stream ends or time runs out first. */
        synchronized Optional<String> await(Predicate<String> match, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            int checked = 0;
            while (true) {
                for (; checked < lines.size(); checked++) {
                    if (match.test(lines.get(checked))) {
                        return Optional.of(lines.get(checked));
                    }
                }
                if (ended || !waitUntil(deadline)) {
                    return Optional.empty();
                }
            }
        }

        synchronized boolean ended() {
            return ended;
        }

        synchronized boolean awaitEnd(long deadline) {
            while (!ended) {
                if (!waitUntil(deadline)) {
                    return false;
                }
            }
            return true;
        }

        /** One wait for a notification; false when the deadline has passed. */
        private boolean waitUntil(long deadline) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return false;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, remaining);
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
