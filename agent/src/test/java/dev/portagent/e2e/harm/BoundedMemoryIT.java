package dev.portagent.e2e.harm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.Jdk;
import dev.portagent.e2e.apps.HarmChurn;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 200000 sockets opened and closed from one line of code: the agent keeps the bounded history and one
 * shared stack, and the heap it retains stays under {@link #BOUND}.
 */
class BoundedMemoryIT {

    private static final int SOCKETS = 200_000;
    private static final int HISTORY = 10_000;
    /**
     * What the agent may retain beyond the same application without it, with history=10000 and stack=32.
     * Measured: about 3 MB. A leak of one small object per socket (200000 x 100 bytes = 20 MB) or of an
     * unshared stack per record (10000 x 32 frames) would cross it.
     */
    private static final long BOUND = 16L << 20;
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static final AtomicInteger REQUESTS = new AtomicInteger();
    // The serial collector's heap in use right after System.gc() is what is still reachable; soft
    // references (the JDK's reflection caches, for one) are cleared at once so that they add no noise.
    private static final String[] MEASURABLE_HEAP = {"-XX:+UseSerialGC", "-XX:SoftRefLRUPolicyMSPerMB=0", "-Xmx256m"};

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void theAgentsRetainedHeapIsBoundedAndIdenticalStacksAreShared(Jdk jdk) {
        jdk.assumePresent();
        long without;
        try (ChildJvm child = churn(jdk).start()) {
            child.awaitLine("^CHURNED", TIMEOUT);
            without = retainedHeap(child);
        }
        Path report = dir.resolve("ports.json");
        long with;
        JsonNode written;
        // Every socket's stack (no stackRate budget): the worst case for what records hold.
        try (ChildJvm child = churn(jdk).agent("report=" + report + ",stackRate=0").start()) {
            child.awaitLine("^CHURNED", TIMEOUT);
            // Raw stacks are transient until the digester (every 500 ms) has formatted them: what the
            // agent retains is the heap once that has settled.
            with = await().atMost(TIMEOUT).until(() -> retainedHeap(child), heap -> heap - without < BOUND);
            child.send("exit");
            assertThat(child.awaitExit(TIMEOUT)).as(child::describe).isZero();
        }
        written = Reports.read(report);
        System.out.printf("[portagent memory] %s, %d sockets, history %d: retained heap %d bytes without the"
                + " agent, %d with it: %d more (bound %d)%n", jdk, SOCKETS, HISTORY, without, with, with - without, BOUND);

        assertThat(with - without).as("heap the agent retains, in bytes").isLessThan(BOUND);
        List<JsonNode> closed = Reports.sockets(written).stream()
                .filter(s -> s.get("state").asText().equals("closed")).toList();
        assertThat(closed).hasSize(HISTORY);
        assertThat(Reports.summary(written, "binds")).isEqualTo(SOCKETS);
        assertThat(closed.size() + Reports.summary(written, "droppedHistory")).isEqualTo(SOCKETS);
        JsonNode sites = written.get("sites");
        assertThat(sites).hasSize(1);
        assertThat(sites.get(0).get("site").asText()).startsWith(HarmChurn.class.getName() + ".main(");
        assertThat(sites.get(0).get("opened").asLong()).isEqualTo(SOCKETS);
        assertThat(closed.stream().map(s -> s.get("stack")).distinct())
                .as("one stack, the same for every record").hasSize(1)
                .allSatisfy(stack -> assertThat(stack).isNotEmpty());
    }

    private static ChildJvm.Builder churn(Jdk jdk) {
        return ChildJvm.on(jdk).jvmArgs(MEASURABLE_HEAP).classpath(ChildJvm.testClasspath())
                .mainClass(HarmChurn.class).args(Integer.toString(SOCKETS));
    }

    private static long retainedHeap(ChildJvm child) {
        // Numbered, because awaitLine finds the first matching line since the child started.
        int request = REQUESTS.incrementAndGet();
        child.send("heap " + request);
        return Long.parseLong(child.awaitLine("^HEAP " + request + " (\\d+)$", TIMEOUT).group(1));
    }
}
