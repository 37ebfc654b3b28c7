package dev.portagent.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** One child JVM of a benchmark: its command line, and what it printed. */
final class Child {

    /** What a finished child printed, and the wall time from start to exit. */
    record Result(List<String> lines, long wallNanos) {

        /** The numbers of the lines {@code key <number>}. */
        List<Double> values(String key) {
            List<Double> values = new ArrayList<>();
            for (String line : lines) {
                if (line.startsWith(key + " ")) {
                    values.add(Double.parseDouble(line.substring(key.length() + 1).trim()));
                }
            }
            return values;
        }

        double value(String key) {
            List<Double> values = values(key);
            if (values.size() != 1) {
                throw new IllegalStateException("expected one line \"" + key + " N\", got " + lines);
            }
            return values.get(0);
        }
    }

    private final List<String> command = new ArrayList<>();
    private final Map<String, String> env;

    /**
     * @param agentArg null for a bare JVM, else the whole {@code -javaagent:...} argument
     */
    Child(Path java, String agentArg, List<String> jvmOptions, Path classpath, String mainClass, List<String> args,
          Map<String, String> env) {
        this(java, agentArg, jvmOptions, classpath.toString(), mainClass, args, env);
    }

    /** @param classpath a class path: entries joined by {@link java.io.File#pathSeparator} */
    Child(Path java, String agentArg, List<String> jvmOptions, String classpath, String mainClass, List<String> args,
          Map<String, String> env) {
        command.add(java.toString());
        if (agentArg != null) {
            command.add(agentArg);
        }
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classpath);
        command.add(mainClass);
        command.addAll(args);
        this.env = env;
    }

    Result run(long timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        long start = System.nanoTime();
        Process process = builder.start();
        Result result = collect(process, start, timeoutSeconds);
        return result;
    }

    /** Starts the child and leaves it running: for a target that a benchmark talks to. */
    Process start() throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(env);
        return builder.start();
    }

    private Result collect(Process process, long start, long timeoutSeconds) throws IOException, InterruptedException {
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("timed out after " + timeoutSeconds + " s: " + String.join(" ", command));
        }
        long wall = System.nanoTime() - start;
        String stdout = out.join();
        String stderr = err.join();
        if (process.exitValue() != 0 || !stderr.isBlank()) {
            // A benchmark must not hide a changed behaviour: the agent prints nothing on a clean run.
            throw new IOException("exit " + process.exitValue() + " from " + String.join(" ", command)
                    + "\nstdout: " + stdout + "\nstderr: " + stderr);
        }
        return new Result(stdout.lines().toList(), wall);
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.completeExceptionally(e);
            }
        }, "drain");
        t.setDaemon(true);
        t.start();
        return text;
    }

    @Override
    public String toString() {
        return String.join(" ", command);
    }
}
