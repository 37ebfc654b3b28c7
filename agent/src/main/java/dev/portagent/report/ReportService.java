package dev.portagent.report;

import dev.portagent.registry.Registry;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Writes the report when the JVM exits (normal end, System.exit, an uncaught exception in main,
 * SIGTERM, SIGINT) and, when asked, every few seconds for processes that may be killed outright.
 */
public final class ReportService {

    /** A slow disk or a huge report must not hold the JVM's shutdown for ever. */
    static final long EXIT_BUDGET_SECONDS = 10;

    private final Registry registry;
    private final JsonReport.Header header;
    private final Path target;
    private final PrintStream err;
    private final Object writeLock = new Object();

    public ReportService(Registry registry, JsonReport.Header header, Path target, PrintStream err) {
        this.registry = registry;
        this.header = header;
        this.target = target;
        this.err = err;
    }

    public Path target() {
        return target;
    }

    public void write(String reason) throws java.io.IOException {
        synchronized (writeLock) {
            ReportFiles.writeAtomically(target, out -> JsonReport.write(header, registry.snapshot(0), reason, out));
        }
    }

    public void installShutdownHook() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::writeOnExit, "portagent-exit-report"));
    }

    /** Periodic rewrite; failures are reported once, not on every tick. */
    public Runnable periodic() {
        boolean[] failing = {false};
        return () -> {
            try {
                write("interval");
                failing[0] = false;
            } catch (Throwable t) {
                if (!failing[0]) {
                    err.println("portagent: cannot write the report to " + target + ": " + t);
                }
                failing[0] = true;
            }
        };
    }

    private void writeOnExit() {
        CountDownLatch done = new CountDownLatch(1);
        Throwable[] failure = new Throwable[1];
        Thread writer = new Thread(() -> {
            try {
                write("exit");
            } catch (Throwable t) {
                failure[0] = t;
            } finally {
                done.countDown();
            }
        }, "portagent-report-writer");
        writer.setDaemon(true);
        writer.start();
        try {
            if (!done.await(EXIT_BUDGET_SECONDS, TimeUnit.SECONDS)) {
                err.println("portagent: the report to " + target + " was not finished within " + EXIT_BUDGET_SECONDS
                        + " s; the JVM exits without it");
            } else if (failure[0] != null) {
                String problem = ReportFiles.problem(target);
                err.println("portagent: cannot write the report to " + target + ": "
                        + (problem != null ? problem : failure[0].toString()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
