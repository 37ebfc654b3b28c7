package dev.portagent.bench;

import com.sun.tools.attach.VirtualMachine;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Benchmark 4, JMX: a child JVM with the agent holds 10000 open sockets; this process attaches to it,
 * starts its local management agent and reads every attribute of {@code dev.portagent:type=Ports}
 * through a real JMXConnector, as a monitoring tool would. Says so and stops when the MBean is absent.
 */
final class JmxBench {

    static final String MBEAN = "dev.portagent:type=Ports";
    private static final int SOCKETS = 10_000;
    /** A read this slow is listed on its own, with when it started, so that it can be matched with a GC log or JFR. */
    private static final double SLOW_MILLIS = 50;

    private JmxBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        for (Bench.Agent agent : setup.agents()) {
            run(setup, java, agent);
        }
    }

    private static void run(Bench.Setup setup, Path java, Bench.Agent agent) throws Exception {
        int reads = setup.quick() ? 5 : 30;
        setup.out().println("#### JMX, `" + agent.label() + "` (" + SOCKETS + " open sockets; " + reads
                + " timed reads per attribute after 5 untimed ones; ms per getAttribute through a JMXConnector)");
        setup.out().println();
        // -Dportagent.bench.jmx.childOptions="-Xlog:gc:file=/tmp/gc.log" (split at spaces): to tell a GC from our work.
        String childOptions = System.getProperty("portagent.bench.jmx.childOptions", "").trim();
        List<String> jvmOptions = childOptions.isEmpty() ? List.of() : List.of(childOptions.split(" +"));
        Process target = new Child(java, agent.javaagent(""), jvmOptions, setup.benchJar(), JmxTarget.class.getName(),
                List.of(Integer.toString(SOCKETS)), setup.env(agent)).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(target.getInputStream(), StandardCharsets.UTF_8));
            String ready = lines.readLine();
            if (ready == null || !ready.startsWith("ready ")) {
                throw new IllegalStateException("the JMX target did not start: " + ready);
            }
            VirtualMachine vm = VirtualMachine.attach(Long.toString(target.pid()));
            String url;
            try {
                url = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
            try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(url))) {
                MBeanServerConnection server = connector.getMBeanServerConnection();
                ObjectName name = new ObjectName(MBEAN);
                // The agent registers its MBean a second after the application's main started.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (!server.isRegistered(name) && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                if (!server.isRegistered(name)) {
                    setup.out().println("skipped: " + MBEAN + " was not registered within 15 s (jmx=false, or a build of the agent without it)");
                    setup.out().println();
                    return;
                }
                setup.out().println("| attribute | type | median ms | p90 ms | max ms | reads over " + (int) SLOW_MILLIS + " ms |");
                setup.out().println("|---|---|---|---|---|---|");
                List<String> slow = new ArrayList<>();
                long first = System.nanoTime();
                for (MBeanAttributeInfo attribute : server.getMBeanInfo(name).getAttributes()) {
                    if (!attribute.isReadable()) {
                        continue;
                    }
                    List<Double> millis = new ArrayList<>();
                    for (int i = 0; i < 5 + reads; i++) {
                        long t0 = System.nanoTime();
                        server.getAttribute(name, attribute.getName());
                        long elapsed = System.nanoTime() - t0;
                        if (i >= 5) {
                            millis.add(elapsed / 1e6);
                            if (elapsed / 1e6 >= SLOW_MILLIS) {
                                slow.add(attribute.getName() + " read " + (i - 5) + ": " + Stats.fixed(elapsed / 1e6, 1)
                                        + " ms, started at +" + Stats.fixed((t0 - first) / 1e6, 0) + " ms ("
                                        + Instant.now().minusNanos(elapsed) + ")");
                            }
                        }
                    }
                    setup.out().println("| " + attribute.getName() + " | " + shortType(attribute.getType())
                            + " | " + Stats.fixed(Stats.median(millis), 2) + " | " + Stats.fixed(Stats.quantile(millis, 0.9), 2)
                            + " | " + Stats.fixed(Stats.quantile(millis, 1), 2)
                            + " | " + millis.stream().filter(m -> m >= SLOW_MILLIS).count() + " |");
                }
                setup.out().println();
                if (!slow.isEmpty()) {
                    // +ms from the first timed read; the wall-clock time matches -Xlog:gc's 'time' decorator.
                    setup.out().println("Reads over " + (int) SLOW_MILLIS + " ms:");
                    setup.out().println();
                    for (String s : slow) {
                        setup.out().println("- " + s);
                    }
                    setup.out().println();
                }
            }
        } finally {
            target.getOutputStream().close();
            if (!target.waitFor(30, TimeUnit.SECONDS)) {
                target.destroyForcibly();
            }
        }
    }

    private static String shortType(String type) {
        return type.substring(type.lastIndexOf('.') + 1);
    }
}
