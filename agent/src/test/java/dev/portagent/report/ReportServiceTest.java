package dev.portagent.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportServiceTest {

    // Only a guard against a hang of the test itself, far above the budget under test: not a timing assertion.
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);

    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
    private final CountDownLatch neverReleased = new CountDownLatch(1);

    @TempDir
    Path dir;

    @AfterEach
    void releaseStuckWriters() {
        neverReleased.countDown();
    }

    /** A write to a disk that never answers. */
    private void hang() {
        try {
            neverReleased.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aWriterThatNeverFinishesIsCutAtTheBudgetAndSaysSo() {
        Path target = dir.resolve("ports.json");
        ReportService service = new ReportService(target, err, Duration.ofMillis(200), reason -> hang());

        assertTimeoutPreemptively(HANG_GUARD, service::writeOnExit);

        assertThat(err()).isEqualTo("portagent: the report to " + target
                + " was not finished within 200 ms; the JVM exits without it\n");
    }

    @Test
    void aPeriodicWriteStuckOnASlowDiskDoesNotHoldTheExitWriteForEver() throws Exception {
        Path target = dir.resolve("ports.json");
        CountDownLatch periodicStarted = new CountDownLatch(1);
        ReportService service = new ReportService(target, err, Duration.ofMillis(200), reason -> {
            periodicStarted.countDown();
            hang();
        });
        Thread periodic = new Thread(service.periodic(), "slow-periodic");
        periodic.setDaemon(true);
        periodic.start();
        periodicStarted.await();

        assertTimeoutPreemptively(HANG_GUARD, service::writeOnExit);

        assertThat(err()).contains("was not finished within 200 ms");
    }

    @Test
    void aWriterThatFinishesWritesTheExitReportAndPrintsNothing() {
        List<String> reasons = new ArrayList<>();
        ReportService service = new ReportService(dir.resolve("ports.json"), err, Duration.ofSeconds(10),
                reasons::add);

        service.writeOnExit();

        assertThat(reasons).containsExactly("exit");
        assertThat(err()).isEmpty();
    }

    @Test
    void aFailedExitWriteNamesThePathsProblem() {
        Path target = dir.resolve("missing").resolve("ports.json");
        ReportService service = new ReportService(target, err, Duration.ofSeconds(10), reason -> {
            throw new IOException("disk on fire");
        });

        service.writeOnExit();

        assertThat(err()).isEqualTo("portagent: cannot write the report to " + target + ": directory "
                + dir.resolve("missing") + " does not exist\n");
    }

    @Test
    void periodicFailuresAreSaidOnceUntilAWriteSucceedsAgain() {
        boolean[] fail = {true};
        ReportService service = new ReportService(dir.resolve("ports.json"), err, Duration.ofSeconds(10), reason -> {
            if (fail[0]) {
                throw new IOException("disk full");
            }
        });
        Runnable periodic = service.periodic();

        periodic.run();
        periodic.run();
        assertThat(err().lines()).hasSize(1).first().asString().contains("disk full");
        fail[0] = false;
        periodic.run();
        fail[0] = true;
        periodic.run();

        assertThat(err().lines()).hasSize(2);
    }

    @Test
    void problemsAreFoundBeforeTheFirstWrite() throws IOException {
        assertThat(ReportFiles.problem(dir.resolve("ports.json"))).isNull();
        assertThat(ReportFiles.problem(dir)).isEqualTo(dir + " is a directory");
        assertThat(ReportFiles.problem(dir.resolve("no/ports.json")))
                .isEqualTo("directory " + dir.resolve("no") + " does not exist");
        // Root may write anywhere access(2) is asked about, but not into /proc: the probe file finds that out.
        assertThat(ReportFiles.problem(Path.of("/proc/ports.json")))
                .startsWith("cannot create a file in directory /proc (");
        assertThat(ReportFiles.problem(dir.resolve("ports.json"))).isNull();
        try (var left = Files.list(dir)) {
            assertThat(left).as("the probe leaves nothing behind").isEmpty();
        }
    }
}
