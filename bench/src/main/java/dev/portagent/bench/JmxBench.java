package dev.portagent.bench;

import com.sun.tools.attach.VirtualMachine;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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

    private JmxBench() {
    }

    static void run(Bench.Setup setup, Path java) throws Exception {
        int reads = setup.quick() ? 5 : 30;
        setup.out().println("#### JMX (" + SOCKETS + " open sockets; " + reads + " timed reads per attribute after 5"
                + " untimed ones; ms per getAttribute through a JMXConnector; agent "
                + setup.agents().get(setup.agents().size() - 1).label() + ")");
        setup.out().println();
        // The last agent given: the build under test when builds are compared.
        Bench.Agent agent = setup.agents().get(setup.agents().size() - 1);
        Process target = new Child(java, agent.javaagent(""), List.of(), setup.benchJar(), JmxTarget.class.getName(),
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
                setup.out().println("| attribute | type | median ms | p90 ms | max ms |");
                setup.out().println("|---|---|---|---|---|");
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
                        }
                    }
                    setup.out().println("| " + attribute.getName() + " | " + shortType(attribute.getType())
                            + " | " + Stats.fixed(Stats.median(millis), 2) + " | " + Stats.fixed(Stats.quantile(millis, 0.9), 2)
                            + " | " + Stats.fixed(Stats.quantile(millis, 1), 2) + " |");
                }
                setup.out().println();
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
