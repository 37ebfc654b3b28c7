package dev.portagent.report;

import dev.portagent.registry.Registry;
import dev.portagent.registry.Snapshot;
import java.nio.charset.StandardCharsets;
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
    private final boolean html;
    private final String summary;
    private final PrintStream err;
    private final Object writeLock = new Object();

    /** {@code target} null: no report file; {@code summary} "stderr", a file, or null for none. */
    public ReportService(Registry registry, JsonReport.Header header, Path target, boolean html, String summary,
                         PrintStream err) {
        this.registry = registry;
        this.header = header;
        this.target = target;
        this.html = html;
        this.summary = summary;
        this.err = err;
    }

    public Path target() {
        return target;
    }

    public void write(String reason) throws java.io.IOException {
        write(registry.snapshot(0), reason);
    }

    private void write(Snapshot snapshot, String reason) throws java.io.IOException {
        synchronized (writeLock) {
            ReportFiles.writeAtomically(target, out -> {
                if (html) {
                    HtmlReport.write(header, snapshot, reason, out);
                } else {
                    JsonReport.write(header, snapshot, reason, out);
                }
            });
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

    private void writeSummary(Snapshot snapshot) {
        if (summary == null) {
            return;
        }
        String text = HumanSummary.of(snapshot);
        if (summary.equals("stderr")) {
            err.print(text);
            err.flush();
            return;
        }
        try {
            ReportFiles.writeAtomically(Path.of(summary), out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
        } catch (Throwable t) {
            err.println("portagent: cannot write the summary to " + summary + ": " + t);
        }
    }

    private void writeOnExit() {
        CountDownLatch done = new CountDownLatch(1);
        Throwable[] failure = new Throwable[1];
        Thread writer = new Thread(() -> {
            try {
                Snapshot snapshot = registry.snapshot(0);
                writeSummary(snapshot);
                if (target != null) {
                    write(snapshot, "exit");
                }
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
