package dev.portagent.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.Jdk;
import dev.portagent.jmx.apps.PortsApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServerConnection;
import javax.management.Notification;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The MBean as JConsole sees it: a child JVM with the agent, reached by attach and a JMX client with
 * none of our classes. Assertions use javax.management types only.
 */
class PortsMBeanIT {

    static final ObjectName NAME = name("dev.portagent:type=Ports");
    static final String[] INT = {"java.lang.Integer"};
    static final String[] INT_INT = {"java.lang.Integer", "java.lang.Integer"};
    static final String[] STRING = {"java.lang.String"};

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void everyAttributeOperationAndNotificationReachesABareClient(Jdk jdk) throws Exception {
        jdk.assumePresent();
        try (ChildJvm child = ChildJvm.on(jdk).directory(dir)
                .agent("notify=all,warnAt=1,report=" + dir.resolve("exit.json")).classpath(ChildJvm.testClasspath())
                .mainClass(PortsApp.class).start();
             BareJmx bare = new BareJmx(child)) {
            int listenerPort = Integer.parseInt(child.nextLine("^ready (\\d+)$", BareJmx.PATIENCE).group(1));
            MBeanServerConnection jmx = bare.connection();
            await().atMost(BareJmx.PATIENCE).until(() -> jmx.isRegistered(NAME));

            described(jmx.getMBeanInfo(NAME));

            AttributeList all = jmx.getAttributes(NAME, PortsMBeanTest.ATTRIBUTES.toArray(new String[0]));
            assertThat(all.asList()).extracting(Attribute::getName).containsExactlyElementsOf(PortsMBeanTest.ATTRIBUTES);
            for (String attribute : PortsMBeanTest.ATTRIBUTES) {
                assertThat(jmx.getAttribute(NAME, attribute)).as(attribute).isNotNull();
            }
            assertThat((Long) jmx.getAttribute(NAME, "OpenCount")).isGreaterThanOrEqualTo(1);
            assertThat((String[]) jmx.getAttribute(NAME, "Table"))
                    .anySatisfy(line -> assertThat(line).contains(":" + listenerPort, "listen", "PortsApp.main"));
            CompositeData listener = find((CompositeData[]) jmx.getAttribute(NAME, "OpenSockets"), listenerPort, "listen");
            assertThat(listener.getCompositeType().keySet()).containsAll(PortsMBeanTest.REPORT_FIELDS);
            assertThat((String) listener.get("site")).contains("PortsApp.main");
            assertThat((String[]) listener.get("stack")).isNotEmpty();
            TabularData listening = (TabularData) jmx.getAttribute(NAME, "ListeningPorts");
            assertThat(listening.get(new Object[] {"tcp", listenerPort}).get("sockets")).isEqualTo(1);
            assertThat((CompositeData[]) jmx.getAttribute(NAME, "Sites"))
                    .anySatisfy(site -> assertThat((String) site.get("site")).contains("PortsApp.main"));

            BlockingQueue<Notification> notifications = new LinkedBlockingQueue<>();
            jmx.addNotificationListener(NAME, (n, handback) -> notifications.add(n), null, null);

            child.send("connect 2");
            child.nextLine("^connected \\d+$", BareJmx.PATIENCE);
            List<Notification> opened = next(notifications, 4, "portagent.socket.open");
            assertThat(opened).extracting(n -> ((CompositeData) n.getUserData()).get("role"))
                    .containsExactlyInAnyOrder("connect", "connect", "accept", "accept");
            child.send("close");
            child.nextLine("^closed \\d+$", BareJmx.PATIENCE);
            assertThat(next(notifications, 4, "portagent.socket.close"))
                    .allSatisfy(n -> assertThat(((CompositeData) n.getUserData()).get("state")).isEqualTo("closed"));

            child.send("fixed");
            int fixedPort = Integer.parseInt(child.nextLine("^fixed (\\d+)$", BareJmx.PATIENCE).group(1));
            Notification fixed = next(notifications, 1, "portagent.port.fixedInEphemeralRange").get(0);
            assertThat(((CompositeData) fixed.getUserData()).get("port")).isEqualTo(fixedPort);
            assertThat(fixed.getMessage()).contains(String.valueOf(fixedPort), "ephemeral range");

            operations(jmx, listenerPort);

            // warnAt=1: one percent of the range towards one destination raises the pressure notification.
            int rangeSize = (Integer) jmx.getAttribute(NAME, "EphemeralRangeHigh")
                    - (Integer) jmx.getAttribute(NAME, "EphemeralRangeLow") + 1;
            child.send("connect " + (rangeSize / 100 + 1));
            child.nextLine("^connected \\d+$", BareJmx.PATIENCE);
            Notification pressure = next(notifications, 1, "portagent.ephemeral.pressure").get(0);
            CompositeData p = (CompositeData) pressure.getUserData();
            assertThat(p.get("above")).isEqualTo(true);
            assertThat(p.get("destination")).isEqualTo("127.0.0.1:" + listenerPort);
            assertThat((Double) p.get("percent")).isGreaterThanOrEqualTo(1.0);
            assertThat((Double) jmx.getAttribute(NAME, "EphemeralPressurePercent")).isGreaterThanOrEqualTo(1.0);
            assertThat((CompositeData[]) jmx.getAttribute(NAME, "Warnings"))
                    .anySatisfy(w -> assertThat(w.get("type")).isEqualTo("EPHEMERAL_PORT_PRESSURE"));

            child.send("exit");
            child.nextLine("^bye$", BareJmx.PATIENCE);
            assertThat(child.awaitExit(BareJmx.PATIENCE)).as(child::describe).isZero();
            assertThat(child.stderr()).as("the agent prints nothing").isEmpty();
            assertThat(Files.readString(dir.resolve("exit.json"))).contains("EPHEMERAL_PORT_PRESSURE");
        }
    }

    private static void described(MBeanInfo info) {
        assertThat(info.getDescription()).contains("a counted close is never shown open");
        for (MBeanAttributeInfo a : info.getAttributes()) {
            assertThat(a.getDescription()).as(a.getName()).hasSizeGreaterThan(20);
        }
        List<String> parameters = new ArrayList<>();
        for (MBeanOperationInfo op : info.getOperations()) {
            assertThat(op.getDescription()).as(op.getName()).hasSizeGreaterThan(20);
            for (MBeanParameterInfo p : op.getSignature()) {
                assertThat(p.getDescription()).as(p.getName()).isNotBlank();
                parameters.add(op.getName() + "." + p.getName());
            }
        }
        assertThat(parameters).containsExactlyInAnyOrder("lookup.port", "sockets.offset", "sockets.limit",
                "writeReport.fileName");
        assertThat(info.getNotifications()[0].getNotifTypes()).contains("portagent.ephemeral.pressure",
                "portagent.port.fixedInEphemeralRange", "portagent.socket.open", "portagent.socket.close");
    }

    private void operations(MBeanServerConnection jmx, int listenerPort) throws Exception {
        CompositeData[] holders = (CompositeData[]) jmx.invoke(NAME, "lookup", new Object[] {listenerPort}, INT);
        assertThat(holders).anySatisfy(row -> {
            assertThat(row.get("role")).isEqualTo("listen");
            assertThat((String[]) row.get("stack")).anySatisfy(frame -> assertThat(frame).contains("PortsApp.main"));
        });
        assertThat(holders).anySatisfy(row -> assertThat(row.get("role")).isEqualTo("accept")); // closed, in history
        CompositeData[] page = (CompositeData[]) jmx.invoke(NAME, "sockets", new Object[] {0, 1}, INT_INT);
        assertThat(page).hasSize(1);
        assertThat((String) jmx.invoke(NAME, "report", new Object[0], new String[0]))
                .contains("portagent-report/1", "\"localPort\" : " + listenerPort);
        String written = (String) jmx.invoke(NAME, "writeReport", new Object[] {"by-jmx.json"}, STRING);
        assertThat(Path.of(written)).isEqualTo(dir.resolve("by-jmx.json"));
        assertThat(Files.readString(dir.resolve("by-jmx.json"))).contains("portagent-report/1");
        for (String escape : new String[] {"../escape.json", "sub/x.json", ".."}) {
            assertThatThrownBy(() -> jmx.invoke(NAME, "writeReport", new Object[] {escape}, STRING))
                    .as(escape).isInstanceOf(RuntimeMBeanException.class).hasMessageContaining("refused");
        }
        assertThat(Files.exists(dir.resolveSibling("escape.json"))).isFalse();
        jmx.invoke(NAME, "clearHistory", new Object[0], new String[0]);
        assertThat((CompositeData[]) jmx.invoke(NAME, "lookup", new Object[] {listenerPort}, INT))
                .extracting(row -> row.get("state")).containsOnly("open");
    }

    private static CompositeData find(CompositeData[] rows, int port, String role) {
        for (CompositeData row : rows) {
            if (row.get("localPort").equals(port) && row.get("role").equals(role)) {
                return row;
            }
        }
        throw new AssertionError("no " + role + " socket on port " + port);
    }

    /** The next {@code count} notifications of {@code type}, skipping others. */
    private static List<Notification> next(BlockingQueue<Notification> queue, int count, String type)
            throws InterruptedException {
        List<Notification> found = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        while (found.size() < count) {
            Notification n = queue.poll(BareJmx.PATIENCE.toSeconds(), TimeUnit.SECONDS);
            if (n == null) {
                throw new AssertionError("got " + found.size() + " of " + count + " " + type + "; other types: " + skipped);
            }
            if (n.getType().equals(type)) {
                found.add(n);
            } else {
                skipped.add(n.getType());
            }
        }
        return found;
    }

    static ObjectName name(String name) {
        try {
            return new ObjectName(name);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
