package dev.portagent.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portagent.options.AgentOptions;
import dev.portagent.report.JsonReport;
import java.io.FileDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanNotificationInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.Notification;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.OpenMBeanAttributeInfo;
import javax.management.openmbean.OpenMBeanOperationInfo;
import javax.management.openmbean.OpenMBeanParameterInfo;
import javax.management.openmbean.TabularData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortsMBeanTest {

    static final List<String> ATTRIBUTES = List.of("OpenCount", "OpenEphemeralCount", "BindCount", "ConnectCount",
            "AcceptCount", "CloseCount", "EphemeralAllocatedCount", "EphemeralRangeLow", "EphemeralRangeHigh",
            "EphemeralPressurePercent", "EphemeralPressure", "Table", "OpenSockets", "ListeningPorts", "Sites",
            "Warnings", "LeftOut");
    // The JSON report's socket fields (issue 2), plus origin and error as the report writes them.
    static final List<String> REPORT_FIELDS = List.of("id", "protocol", "role", "family", "localAddress",
            "localPort", "remoteAddress", "remotePort", "requestedPort", "ephemeral", "inEphemeralRange", "state",
            "openedAt", "closedAt", "thread", "threadId", "virtual", "site", "stack", "origin", "error");

    @TempDir
    Path dir;

    final FakeSockets sockets = new FakeSockets();
    Jmx jmx;
    final List<Notification> received = new CopyOnWriteArrayList<>();
    MBeanServer server;
    ObjectName name = PortsMBean.objectName();

    static AgentOptions options(String args) {
        try {
            return AgentOptions.parse(args, Map.of(), Map.of());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    PortsMBean register(String args) throws Exception {
        AgentOptions options = options(args);
        Jmx j = new Jmx(sockets.registry, options);
        sockets.registry.observe(j);
        // Runnable::run delivers on the sending thread, so the test needs no waiting.
        PortsMBean mbean = new PortsMBean(sockets.registry, j::pressure, options,
                JsonReport.Header.ofThisJvm("test", options.effective()), dir, Runnable::run);
        j.notifier(mbean);
        jmx = j;
        server = MBeanServerFactory.newMBeanServer();
        server.registerMBean(mbean, name);
        server.addNotificationListener(name, (n, handback) -> received.add(n), null, null);
        return mbean;
    }

    @Test
    void everyAttributeOperationAndParameterIsDescribedWithOpenTypesAndRealNames() throws Exception {
        register("");
        MBeanInfo info = server.getMBeanInfo(name);
        assertThat(info.getDescription()).contains("a counted close is never shown open");
        assertThat(Arrays.stream(info.getAttributes()).map(MBeanAttributeInfo::getName)).containsExactlyElementsOf(ATTRIBUTES);
        for (MBeanAttributeInfo a : info.getAttributes()) {
            assertThat(a).isInstanceOf(OpenMBeanAttributeInfo.class);
            assertThat(a.getDescription()).as(a.getName()).hasSizeGreaterThan(20).isNotEqualTo(a.getName());
            assertThat(a.isReadable()).isTrue();
            assertThat(a.isWritable()).isFalse();
        }
        List<String> signatures = new ArrayList<>();
        for (MBeanOperationInfo op : info.getOperations()) {
            assertThat(op).isInstanceOf(OpenMBeanOperationInfo.class);
            assertThat(op.getDescription()).as(op.getName()).hasSizeGreaterThan(20);
            List<String> params = new ArrayList<>();
            for (MBeanParameterInfo p : op.getSignature()) {
                assertThat(p).isInstanceOf(OpenMBeanParameterInfo.class);
                assertThat(p.getDescription()).as(op.getName() + "." + p.getName()).hasSizeGreaterThan(5);
                params.add(p.getName() + ":" + p.getType());
            }
            signatures.add(op.getName() + params);
        }
        // Open types have no primitives: JConsole and jmxterm read these and convert what is typed.
        assertThat(signatures).containsExactlyInAnyOrder("lookup[port:java.lang.Integer]",
                "sockets[offset:java.lang.Integer, limit:java.lang.Integer]",
                "report[]", "writeReport[fileName:java.lang.String]", "clearHistory[]");
        MBeanNotificationInfo[] notifications = info.getNotifications();
        assertThat(notifications).hasSize(1);
        assertThat(notifications[0].getNotifTypes()).containsExactlyInAnyOrder("portagent.ephemeral.pressure",
                "portagent.port.fixedInEphemeralRange", "portagent.socket.open", "portagent.socket.close");
        assertThat(notifications[0].getDescription()).contains("notify=all");
    }

    @Test
    void countersAndRowsOfOneGetAttributesCallAgree() throws Exception {
        register("");
        FileDescriptor listener = sockets.listen(8080);
        FileDescriptor client = sockets.connect("10.1.2.3", 5432);
        FileDescriptor accepted = sockets.accept(8080, 50000);
        sockets.udp(0);
        sockets.close(client);

        AttributeList list = server.getAttributes(name, ATTRIBUTES.toArray(new String[0]));
        assertThat(list).hasSize(ATTRIBUTES.size());
        Map<String, Object> values = new java.util.HashMap<>();
        for (Attribute a : list.asList()) {
            values.put(a.getName(), a.getValue());
        }
        assertThat(values).containsEntry("OpenCount", 3L).containsEntry("OpenEphemeralCount", 1L)
                .containsEntry("BindCount", 2L).containsEntry("ConnectCount", 1L).containsEntry("AcceptCount", 1L)
                .containsEntry("CloseCount", 1L).containsEntry("EphemeralAllocatedCount", 2L)
                .containsEntry("EphemeralRangeLow", 40000).containsEntry("EphemeralRangeHigh", 40099);
        assertThat((String[]) values.get("Table")).hasSize(1 + 3);
        assertThat((CompositeData[]) values.get("OpenSockets")).hasSize(3);
        assertThat(((CompositeData) values.get("LeftOut")).get("openSockets")).isEqualTo(0L);

        CompositeData[] open = (CompositeData[]) server.getAttribute(name, "OpenSockets");
        assertThat(open[0].getCompositeType().keySet()).containsExactlyInAnyOrderElementsOf(REPORT_FIELDS);
        assertThat(open).extracting(row -> row.get("role")).containsExactly("listen", "accept", "bind");
        assertThat(open[0].get("localPort")).isEqualTo(8080);
        assertThat(open[0].get("remotePort")).isNull();
        assertThat(open[1].get("remotePort")).isEqualTo(50000);
        assertThat((String[]) open[0].get("stack")).isNotEmpty();
        assertThat((String) open[0].get("site")).contains("FakeSockets.listen");
        assertThat((String) open[0].get("openedAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");

        String[] table = (String[]) server.getAttribute(name, "Table");
        assertThat(table[0]).startsWith("PROTO").contains("LOCAL", "REMOTE", "ROLE", "EPHEMERAL", "AGE", "THREAD",
                "SITE");
        assertThat(table[1]).startsWith("tcp").contains("127.0.0.1:8080", "listen", "FakeSockets.listen");
        // Aligned: every column starts where its header does.
        int roleColumn = table[0].indexOf("ROLE");
        for (String line : table) {
            assertThat(line.charAt(roleColumn - 1)).as(line).isEqualTo(' ');
            assertThat(line.charAt(roleColumn)).as(line).isNotEqualTo(' ');
        }

        CompositeData[] sites = (CompositeData[]) server.getAttribute(name, "Sites");
        assertThat(sites).isNotEmpty();
        assertThat(sites[0].getCompositeType().keySet()).containsExactlyInAnyOrder("site", "opened", "open", "ephemeral");
        sockets.close(listener);
        sockets.close(accepted);
    }

    @Test
    void largeAttributesKeepTheNewestMaxRowsAndSayHowManyWereLeftOut() throws Exception {
        register("maxRows=2");
        for (int i = 0; i < 5; i++) {
            sockets.listen(9000 + i);
        }
        AttributeList list = server.getAttributes(name, new String[] {"Table", "OpenSockets", "ListeningPorts", "LeftOut"});
        String[] table = (String[]) ((Attribute) list.get(0)).getValue();
        assertThat(table).hasSize(4);
        assertThat(table[1]).contains("3 older open sockets left out", "maxRows=2", "sockets(offset, limit)");
        assertThat(table[2]).contains(":9003");
        assertThat(table[3]).contains(":9004");
        CompositeData[] open = (CompositeData[]) ((Attribute) list.get(1)).getValue();
        assertThat(open).extracting(row -> row.get("localPort")).containsExactly(9003, 9004);
        assertThat(((TabularData) ((Attribute) list.get(2)).getValue()).size()).isEqualTo(2);
        CompositeData leftOut = (CompositeData) ((Attribute) list.get(3)).getValue();
        assertThat(leftOut.get("openSockets")).isEqualTo(3L);
        assertThat(leftOut.get("listeningPorts")).isEqualTo(3L);
        assertThat(leftOut.get("maxRows")).isEqualTo(2);

        CompositeData[] page = (CompositeData[]) server.invoke(name, "sockets", new Object[] {1, 10},
                new String[] {"int", "int"});
        assertThat(page).extracting(row -> row.get("localPort")).containsExactly(9001, 9002);
        assertThat((CompositeData[]) server.invoke(name, "sockets", new Object[] {7, 1}, new String[] {"int", "int"}))
                .isEmpty();
    }

    @Test
    void listeningPortsAreIndexedOnProtocolAndPortWithNumericColumnsAndNoClientPorts() throws Exception {
        register("");
        sockets.listen(8080);
        sockets.accept(8080, 50001);
        sockets.accept(8080, 50002);
        sockets.listen(40050); // fixed, inside the test range
        sockets.udp(5353);
        sockets.udp(0); // a client's implicit UDP port
        sockets.connect("10.1.2.3", 443);

        TabularData table = (TabularData) server.getAttribute(name, "ListeningPorts");
        assertThat(table.getTabularType().getIndexNames()).containsExactly("protocol", "port");
        for (String column : table.getTabularType().getRowType().keySet()) {
            if (!column.equals("protocol")) {
                assertThat(table.getTabularType().getRowType().getType(column).getClassName())
                        .as(column).isIn(Integer.class.getName(), Long.class.getName());
            }
        }
        assertThat(table.size()).isEqualTo(3);
        CompositeData http = table.get(new Object[] {"tcp", 8080});
        assertThat(http.get("sockets")).isEqualTo(1);
        assertThat(http.get("connections")).isEqualTo(2);
        assertThat(http.get("inEphemeralRange")).isEqualTo(0);
        assertThat(table.get(new Object[] {"tcp", 40050}).get("inEphemeralRange")).isEqualTo(1);
        assertThat(table.get(new Object[] {"udp", 5353}).get("sockets")).isEqualTo(1);
    }

    @Test
    void lookupFindsOpenAndClosedHoldersOfAPortWithStacks() throws Exception {
        register("");
        FileDescriptor first = sockets.listen(7000);
        sockets.close(first);
        sockets.listen(7000);
        sockets.listen(7001);

        CompositeData[] found = (CompositeData[]) server.invoke(name, "lookup", new Object[] {7000},
                new String[] {"int"});
        assertThat(found).extracting(row -> row.get("state")).containsExactly("closed", "open");
        assertThat(found).allSatisfy(row -> assertThat((String[]) row.get("stack")).isNotEmpty());
        assertThat((String) found[0].get("closedAt")).endsWith("Z");

        server.invoke(name, "clearHistory", new Object[0], new String[0]);
        assertThat((CompositeData[]) server.invoke(name, "lookup", new Object[] {7000}, new String[] {"int"}))
                .extracting(row -> row.get("state")).containsExactly("open");
        assertThatThrownBy(() -> server.invoke(name, "lookup", new Object[] {0}, new String[] {"int"}))
                .isInstanceOf(RuntimeMBeanException.class).hasRootCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reportIsTheJsonReportAndWriteReportStaysInTheReportDirectory() throws Exception {
        register("");
        sockets.listen(8080);
        String json = (String) server.invoke(name, "report", new Object[0], new String[0]);
        assertThat(json).contains("\"schema\" : \"portagent-report/1\"", "\"reason\" : \"jmx\"", "\"localPort\" : 8080");

        String written = (String) server.invoke(name, "writeReport", new Object[] {"now.json"},
                new String[] {String.class.getName()});
        assertThat(Path.of(written)).isEqualTo(dir.resolve("now.json"));
        assertThat(Files.readString(dir.resolve("now.json"))).contains("\"localPort\" : 8080");

        for (String bad : new String[] {"../escape.json", "..", "sub/x.json", "/tmp/x.json", "a\\b.json", "", " ",
                "x..json"}) {
            assertThatThrownBy(() -> server.invoke(name, "writeReport", new Object[] {bad},
                    new String[] {String.class.getName()}))
                    .as(bad).isInstanceOf(RuntimeMBeanException.class)
                    .hasRootCauseInstanceOf(IllegalArgumentException.class);
        }
        assertThat(Files.list(dir)).extracting(p -> p.getFileName().toString()).containsExactly("now.json");
        assertThat(Files.exists(dir.resolveSibling("escape.json"))).isFalse();
    }

    @Test
    void notifyAllSendsEverySocketOpenAndClose() throws Exception {
        register("notify=all");
        FileDescriptor fd = sockets.connect("10.1.2.3", 443);
        sockets.close(fd);
        sockets.registry.digest();
        assertThat(received).extracting(Notification::getType)
                .containsExactly("portagent.socket.open", "portagent.socket.close");
        CompositeData row = (CompositeData) received.get(1).getUserData();
        assertThat(row.get("remotePort")).isEqualTo(443);
        assertThat(row.get("state")).isEqualTo("closed");
        assertThat(received.get(0).getSource()).isEqualTo(name);
        assertThat(received.get(0).getSequenceNumber()).isLessThan(received.get(1).getSequenceNumber());
    }

    @Test
    void warningsModeSendsFixedPortsInTheEphemeralRangeButNoSocketEvents() throws Exception {
        register("");
        sockets.listen(40042);
        sockets.listen(8080);
        sockets.registry.digest();
        assertThat(received).extracting(Notification::getType).containsExactly("portagent.port.fixedInEphemeralRange");
        assertThat(received.get(0).getMessage()).contains("40042");
        assertThat(((CompositeData) received.get(0).getUserData()).get("port")).isEqualTo(40042);
        CompositeData[] warnings = (CompositeData[]) server.getAttribute(name, "Warnings");
        assertThat(warnings).extracting(w -> w.get("type")).containsExactly("FIXED_PORT_IN_EPHEMERAL_RANGE");
    }

    @Test
    void notifyNoneSendsNothing() throws Exception {
        register("notify=none,warnAt=1");
        sockets.listen(40042);
        sockets.connect("10.1.2.3", 443);
        sockets.registry.digest();
        assertThat(received).isEmpty();
    }

    @Test
    void pressureCrossingWarnAtWarnsOnceAndFallsBackOnceWhenTimeWaitIsOver() throws Exception {
        register("warnAt=10");
        // The fake range has 100 ports: 10 connections to one destination are 10 %.
        Jmx j = jmx;
        List<FileDescriptor> fds = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            fds.add(sockets.connect("10.9.9.9", 5432));
            sockets.connect("10.9.9." + i, 5432); // other destinations do not add up
        }
        sockets.registry.digest();
        long now = System.currentTimeMillis();
        j.checkPressure(now);
        assertThat(received).isEmpty();
        assertThat((Double) server.getAttribute(name, "EphemeralPressurePercent")).isEqualTo(9.0);

        fds.add(sockets.connect("10.9.9.9", 5432));
        sockets.registry.digest();
        j.checkPressure(now);
        j.checkPressure(now); // still above: no second notification
        assertThat(received).extracting(Notification::getType).containsExactly("portagent.ephemeral.pressure");
        CompositeData up = (CompositeData) received.get(0).getUserData();
        assertThat(up.get("destination")).isEqualTo("10.9.9.9:5432");
        assertThat(up.get("percent")).isEqualTo(10.0);
        assertThat(up.get("above")).isEqualTo(true);
        assertThat(received.get(0).getMessage()).contains("10.0%", "warnAt=10", "10.9.9.9:5432");
        assertThat((CompositeData[]) server.getAttribute(name, "Warnings"))
                .extracting(w -> (String) w.get("message"))
                .anySatisfy(m -> assertThat(m).contains("10.9.9.9:5432", "TIME_WAIT", "40000-40099"));

        for (FileDescriptor fd : fds) {
            sockets.close(fd);
        }
        sockets.registry.digest();
        long closedAt = System.currentTimeMillis();
        j.checkPressure(closedAt + 30_000); // closed, but TIME_WAIT still holds their 4-tuples
        assertThat(received).hasSize(1);
        j.checkPressure(closedAt + EphemeralPressure.TIME_WAIT_MILLIS + 1000);
        j.checkPressure(closedAt + EphemeralPressure.TIME_WAIT_MILLIS + 2000);
        assertThat(received).extracting(Notification::getType)
                .containsExactly("portagent.ephemeral.pressure", "portagent.ephemeral.pressure");
        assertThat(((CompositeData) received.get(1).getUserData()).get("above")).isEqualTo(false);
        assertThat(received.get(1).getMessage()).contains("fell back");
    }
}
