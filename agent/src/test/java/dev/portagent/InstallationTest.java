package dev.portagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The installation is made after premain, by whichever thread needs it first: the agent's start thread,
 * a thread loading one of the JDK's socket classes, the exit report. Here with a maker that stands in for
 * the real one and waits where the tests tell it to.
 */
class InstallationTest {

    private static final long LONG_MILLIS = 60_000;
    private static final Duration LONG = Duration.ofMillis(LONG_MILLIS);
    private static final Installation.Installed MADE = new Installation.Installed(null, null, null, null, null);

    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
    private final CountDownLatch making = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger made = new AtomicInteger();

    /** A maker that says it has begun, then waits for the test before it puts the boot classes in. */
    private Installation.Maker heldUntilReleased() {
        return bootClassesIn -> {
            made.incrementAndGet();
            making.countDown();
            release.await();
            bootClassesIn.run();
            return MADE;
        };
    }

    @Test
    void aThreadLoadingASocketClassWaitsForTheInstallationAnotherThreadIsMakingAndItIsMadeOnce() throws Exception {
        Installation installation = new Installation(heldUntilReleased(), LONG_MILLIS, err);
        Thread start = makingOnAThreadOfItsOwn(installation);
        AtomicReference<Boolean> answer = new AtomicReference<>();
        Thread loading = waiting(new Thread(() -> answer.set(installation.getAsBoolean()), "loading"));
        assertThat(answer.get()).as("no answer before the hooks are in place").isNull();

        release.countDown();
        loading.join();
        start.join();

        assertThat(answer.get()).isTrue();
        assertThat(installation.get()).isSameAs(MADE);
        assertThat(made).hasValue(1);
        assertThat(errText()).isEmpty();
    }

    @Test
    void anInterruptedLoadingThreadStillWaitsForTheHooksAndKeepsItsInterrupt() throws Exception {
        Installation installation = new Installation(heldUntilReleased(), LONG_MILLIS, err);
        Thread start = makingOnAThreadOfItsOwn(installation);
        AtomicReference<Boolean> answer = new AtomicReference<>();
        AtomicBoolean stillInterrupted = new AtomicBoolean();
        Thread loading = waiting(new Thread(() -> {
            answer.set(installation.getAsBoolean());
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        }, "loading"));

        loading.interrupt();
        await("the loading thread waiting again").atMost(LONG)
                .until(() -> loading.getState() == Thread.State.TIMED_WAITING && !loading.isInterrupted());
        release.countDown();
        loading.join();
        start.join();

        assertThat(answer.get()).as("a class left unwoven would never be woven").isTrue();
        assertThat(stillInterrupted).isTrue();
    }

    @Test
    void aLoadingThreadGivesUpAfterTheWaitAndSaysSo() throws Exception {
        Installation installation = new Installation(heldUntilReleased(), 50, err);
        Thread start = makingOnAThreadOfItsOwn(installation);

        boolean answer = installation.getAsBoolean();
        release.countDown();
        start.join();

        assertThat(answer).isFalse();
        assertThat(errText()).isEqualTo("portagent: waited 50 ms for the hooks to be put in place on another thread;"
                + " a JDK socket class loaded meanwhile is woven later: until then its sockets are found only by the /proc"
                + " scan\n");
        assertThat(installation.get()).as("the installation itself went on").isSameAs(MADE);
    }

    /** The installation must load no socket class; if it did, its own question must not wait for itself. */
    @Test
    void aSocketClassLoadedByTheInstallationItselfIsAnsweredAtOnceAndSaid() {
        boolean[] answers = new boolean[2];
        Installation[] self = new Installation[1];
        self[0] = new Installation(bootClassesIn -> {
            answers[0] = self[0].getAsBoolean();
            bootClassesIn.run();
            answers[1] = self[0].getAsBoolean();
            return MADE;
        }, LONG_MILLIS, err);

        assertThat(self[0].get()).isSameAs(MADE);

        assertThat(answers).as("before the boot loader has the hooks, then after").containsExactly(false, true);
        assertThat(errText().lines()).hasSize(2).allSatisfy(line -> assertThat(line).isEqualTo(
                "portagent: internal error: making the installation loaded one of the JDK's socket classes; please report it"));
    }

    @Test
    void aFailedInstallationIsSaidOnceAndNotTriedAgain() {
        Installation installation = new Installation(bootClassesIn -> {
            made.incrementAndGet();
            throw new IllegalStateException("no /proc");
        }, LONG_MILLIS, err);

        assertThat(installation.get()).isNull();
        assertThat(installation.getAsBoolean()).isFalse();
        assertThat(installation.getWithinWait("at exit")).isNull();

        assertThat(made).hasValue(1);
        assertThat(errText()).isEqualTo(
                "portagent: not installed, the application runs without it: java.lang.IllegalStateException: no /proc\n");
    }

    /** The start thread, once the installation it makes has begun and waits for the test. */
    private Thread makingOnAThreadOfItsOwn(Installation installation) throws InterruptedException {
        Thread start = new Thread(installation::get, "start");
        start.start();
        making.await();
        return start;
    }

    /** The thread, started, once it waits for the lock. */
    private static Thread waiting(Thread loading) {
        loading.start();
        await("the loading thread waiting").atMost(LONG).until(() -> loading.getState() == Thread.State.TIMED_WAITING);
        return loading;
    }

    private String errText() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }
}
