package dev.portagent.bench;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's own CPU per socket, from {@link HookCost}: the recorder's work on the socket's thread and
 * the digester's, without the system calls, in thread CPU time. Builds whose recorder predates the
 * hooks HookCost calls are reported as not measurable.
 */
final class HookBench {

    private HookBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        int runs = setup.quick() ? 1 : 5;
        String sockets = setup.quick() ? "20000" : "100000";
        setup.out().println("#### The agent's own work per socket (HookCost: the recorder driven directly, no system"
                + " calls; thread CPU ns per socket, median of " + runs + " children × 5 batches)");
        setup.out().println();
        setup.out().println("| agent | stack | on the socket's thread, ns | on the digester, ns |");
        setup.out().println("|---|---|---|---|");
        for (Bench.Agent agent : setup.agents()) {
            for (String depth : new String[] {"32", "0"}) {
                List<Double> app = new ArrayList<>();
                List<Double> digest = new ArrayList<>();
                try {
                    for (int i = 0; i < runs; i++) {
                        // What the agent opens for itself through Instrumentation, for the digester's stack keys.
                        Child.Result r = new Child(java, null, List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED"),
                                Path.of(setup.benchJar() + File.pathSeparator + agent.jar()), HookCost.class.getName(),
                                List.of(depth, sockets, "5"), setup.env(agent)).run(300);
                        app.add(Stats.median(r.values("app")));
                        digest.add(Stats.median(r.values("digest")));
                    }
                    setup.out().println("| " + agent.label() + " | " + depth + " | " + Stats.fixed(Stats.median(app), 0)
                            + " | " + Stats.fixed(Stats.median(digest), 0) + " |");
                } catch (Exception e) {
                    setup.out().println("| " + agent.label() + " | " + depth + " | not measurable: this build's recorder"
                            + " has no JDK-answer hooks | |");
                }
            }
        }
        setup.out().println();
    }
}
