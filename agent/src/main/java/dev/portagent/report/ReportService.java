package dev.portagent.report;

import dev.portagent.registry.Registry;
import dev.portagent.registry.Snapshot;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Writes the report (and the human summary, when asked) when the JVM exits (normal end, System.exit,
 * an uncaught exception in main, SIGTERM, SIGINT) and, when asked, every few seconds for processes
 * that may be killed outright.
 */
public final class ReportService {

    /** A slow disk or a huge report must not hold the JVM's shutdown for ever. */
    static final Duration EXIT_BUDGET = Duration.ofSeconds(10);

    /** Produces and stores one report; the seam through which tests make writing slow. */
    interface Writer {
        void write(String reason) throws IOException;
    }

    private final Path target;
    private final PrintStream err;
    private final Duration exitBudget;
    private final Writer writer;
    private final Object writeLock = new Object();

    /** {@code target} null: no report file; {@code summary} "stderr", a file, or null for none. */
    public ReportService(Registry registry, JsonReport.Header header, Path target, boolean html, String summary,
                         PrintStream err) {
        this(target, err, EXIT_BUDGET, reason -> {
            // Reports always rescan /proc: a socket closed a moment ago must not be reported open.
            Snapshot snapshot = registry.snapshot(0);
            if (summary != null && reason.equals("exit")) {
                writeSummary(HumanSummary.of(snapshot), summary, err);
            }
            if (target != null) {
                ReportFiles.writeAtomically(target, out -> {
                    if (html) {
                        HtmlReport.write(header, snapshot, reason, out);
                    } else {
                        JsonReport.write(header, snapshot, reason, out);
                    }
                });
            }
        });
    }

    ReportService(Path target, PrintStream err, Duration exitBudget, Writer writer) {
        this.target = target;
        this.err = err;
        this.exitBudget = exitBudget;
        this.writer = writer;
    }

    public Path target() {
        return target;
    }

    public void write(String reason) throws IOException {
        synchronized (writeLock) {
            writer.write(reason);
        }
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
                    err.println("portagent: cannot write the report to " + target + ": " + why(t));
                }
                failing[0] = true;
            }
        };
    }

    private static void writeSummary(String text, String summary, PrintStream err) {
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

    /** For the shutdown hook; returns within the exit budget whatever the writer does. */
    public void writeOnExit() {
        CountDownLatch done = new CountDownLatch(1);
        Throwable[] failure = new Throwable[1];
        Thread thread = new Thread(() -> {
            try {
                write("exit");
            } catch (Throwable t) {
                failure[0] = t;
            } finally {
                done.countDown();
            }
        }, "portagent-report-writer");
        // A daemon, so that a writer still stuck when the budget runs out does not keep the JVM alive.
        thread.setDaemon(true);
        thread.start();
        try {
            if (!done.await(exitBudget.toNanos(), TimeUnit.NANOSECONDS)) {
                err.println("portagent: the report to " + target + " was not finished within " + text(exitBudget)
                        + "; the JVM exits without it");
            } else if (failure[0] != null) {
                err.println("portagent: cannot write the report to " + target + ": " + why(failure[0]));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The path's problem in plain words when there is one; a temporary file's name would only confuse. */
    private String why(Throwable failure) {
        String problem = target == null ? null : ReportFiles.problem(target);
        return problem != null ? problem : failure.toString();
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
