package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StackBudgetTest {

    private long id;

    /** {@code count} sockets spread evenly over the second starting at {@code second}; how many were taken. */
    private int second(StackBudget budget, long second, int count, boolean priority) {
        int taken = 0;
        for (int i = 0; i < count; i++) {
            if (budget.take(second * 1000 + (long) i * 1000 / count, ++id, priority)) {
                taken++;
            }
        }
        return taken;
    }

    @Test
    void slowerThanHalfTheBudgetEverySocketIsTaken() {
        StackBudget budget = new StackBudget(100);
        for (long s = 0; s < 5; s++) {
            assertThat(second(budget, s, 50, false)).isEqualTo(50);
        }
    }

    @Test
    void zeroTakesEverySocket() {
        StackBudget budget = new StackBudget(0);
        assertThat(second(budget, 0, 100_000, false)).isEqualTo(100_000);
    }

    @Test
    void aBurstAfterQuietTakesTheWholeBudgetAndNoMore() {
        StackBudget budget = new StackBudget(100);
        assertThat(second(budget, 7, 10_000, false)).isEqualTo(100);
    }

    @Test
    void atASteadyHighRateASecondTakesAboutHalfTheBudgetSpreadOverIt() {
        StackBudget budget = new StackBudget(1000);
        second(budget, 0, 50_000, false);
        for (long s = 1; s < 6; s++) {
            long start = id;
            int takenFirstHalf = 0;
            int taken = 0;
            for (int i = 0; i < 50_000; i++) {
                if (budget.take(s * 1000 + i / 50, ++id, false)) {
                    taken++;
                    if (i < 25_000) {
                        takenFirstHalf++;
                    }
                }
            }
            assertThat(id - start).isEqualTo(50_000);
            // one in 100: 500 expected; the hash of consecutive ids is not a coin, but near one
            assertThat(taken).isBetween(400, 600);
            assertThat(takenFirstHalf).isBetween(taken / 2 - 75, taken / 2 + 75);
        }
    }

    @Test
    void priorityIsTakenWhileOthersAreSampledUntilTheWindowIsSpent() {
        StackBudget budget = new StackBudget(100);
        second(budget, 0, 10_000, false);
        // second 1: sampled one in 200, so the 10000 others take ~50 and leave the rest to priority
        int others = 0;
        int priority = 0;
        for (int i = 0; i < 10_000; i++) {
            if (budget.take(1000 + i / 10, ++id, false)) {
                others++;
            }
            if (i % 1000 == 0 && budget.take(1000 + i / 10, ++id, true)) {
                priority++;
            }
        }
        assertThat(priority).isEqualTo(10);
        assertThat(others).isBetween(30, 70);
        assertThat(second(budget, 2, 1_000, true)).isEqualTo(100);
    }

    @Test
    void consecutiveIdsDoNotAliasWithAnAlternatingLoop() {
        StackBudget budget = new StackBudget(100);
        second(budget, 0, 20_000, false);
        // two call sites taking turns, as a loop with a connect and an accept does: both are sampled
        int even = 0;
        int odd = 0;
        for (int i = 0; i < 20_000; i++) {
            if (budget.take(1000 + i / 20, ++id, false)) {
                if (id % 2 == 0) {
                    even++;
                } else {
                    odd++;
                }
            }
        }
        assertThat(even).isBetween(10, 40);
        assertThat(odd).isBetween(10, 40);
    }

    @Test
    void aClockSetBackStartsANewWindowInsteadOfStoppingStacks() {
        StackBudget budget = new StackBudget(100);
        assertThat(second(budget, 100, 10, false)).isEqualTo(10);
        assertThat(second(budget, 50, 10, false)).isEqualTo(10);
    }

    @Test
    void aTimeReadJustBeforeTheWindowBeganCountsInThatWindow() {
        StackBudget budget = new StackBudget(100);
        second(budget, 0, 10_000, false);
        budget.take(1000, ++id, false); // a thread starts the window of second 1: one in 200
        // other threads read the clock a moment before it and take their stacks after
        int taken = 0;
        for (int i = 0; i < 2_000; i++) {
            if (budget.take(999, ++id, false)) {
                taken++;
            }
        }
        assertThat(taken).isBetween(1, 30);
    }

    @Test
    void concurrentThreadsNeverTakeMoreThanTheBudgetInAWindow() throws Exception {
        StackBudget budget = new StackBudget(500);
        AtomicLong ids = new AtomicLong();
        AtomicInteger taken = new AtomicInteger();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 100_000; i++) {
                    if (budget.take(5_000, ids.incrementAndGet(), i % 7 == 0)) {
                        taken.incrementAndGet();
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(taken.get()).isEqualTo(500);
    }
}
