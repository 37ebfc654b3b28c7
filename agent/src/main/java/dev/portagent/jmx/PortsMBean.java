package dev.portagent.jmx;

import dev.portagent.report.Formats;
import dev.portagent.options.AgentOptions;
import dev.portagent.registry.Reconciler;
import dev.portagent.registry.Registry;
import dev.portagent.registry.Snapshot;
import dev.portagent.registry.SocketView;
import dev.portagent.registry.Warning;
import dev.portagent.report.JsonReport;
import dev.portagent.report.ReportFiles;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongFunction;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.Descriptor;
import javax.management.DynamicMBean;
import javax.management.ImmutableDescriptor;
import javax.management.ListenerNotFoundException;
import javax.management.MBeanException;
import javax.management.MBeanInfo;
import javax.management.MBeanNotificationInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.Notification;
import javax.management.NotificationBroadcasterSupport;
import javax.management.NotificationEmitter;
import javax.management.NotificationFilter;
import javax.management.NotificationListener;
import javax.management.ObjectName;
import javax.management.ReflectionException;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.OpenMBeanAttributeInfoSupport;
import javax.management.openmbean.OpenMBeanConstructorInfoSupport;
import javax.management.openmbean.OpenMBeanInfoSupport;
import javax.management.openmbean.OpenMBeanOperationInfoSupport;
import javax.management.openmbean.OpenMBeanParameterInfoSupport;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;

/**
 * The MBean {@code dev.portagent:type=Ports}: the live table of ports, counters, and notifications.
 *
 * <p>Snapshot semantics: every read is one snapshot of the registry, taken in one pass without stopping
 * the application's sockets (see {@link dev.portagent.registry.Snapshot}: a close the counters count is
 * never shown open, each socket is shown once). One {@code getAttribute} reads one snapshot; one
 * {@code getAttributes} call (JConsole's and the Prometheus JMX exporter's way of reading) reads all its
 * attributes from the same snapshot, so Table, OpenSockets, LeftOut and the counters of that call agree
 * with each other. Two calls may differ by the sockets opened and closed in between. Values are copies:
 * nothing a client holds changes.
 * Sockets the hooks record are shown as they are at the read; sockets found in /proc (opened before
 * portagent was loaded, or outside java.net and java.nio) as the last /proc scan found them, at most
 * {@link Reconciler#STALE_MILLIS} ms ago: a read more than a second after the last
 * scan starts the next one on the agent's thread instead of waiting for it.
 *
 * <p>Only open types cross the wire (SimpleType, String[], CompositeData, TabularData), so a client
 * with nothing but the JDK, such as JConsole or jmxterm, reads every attribute and calls every
 * operation. This is an open MBean with its own MBeanInfo rather than an MXBean: an MXBean cannot
 * declare CompositeData of a given type, nor a TabularData indexed on (protocol, port).
 */
final class PortsMBean implements DynamicMBean, NotificationEmitter, Notifier {

    static final String OBJECT_NAME = "dev.portagent:type=Ports";
    static final String PRESSURE = "portagent.ephemeral.pressure";
    static final String FIXED_IN_RANGE = "portagent.port.fixedInEphemeralRange";
    static final String SOCKET_OPEN = "portagent.socket.open";
    static final String SOCKET_CLOSE = "portagent.socket.close";

    /** One read: the snapshot is taken only when an attribute of this read needs more than counters. */
    private final class Read {
        final long now = System.currentTimeMillis();
        final Snapshot snapshot;
        final Snapshot.Counters counters;

        Read(boolean needsSnapshot) {
            snapshot = needsSnapshot ? registry.snapshot() : null;
            counters = snapshot != null ? snapshot.counters() : registry.counters();
        }

        long open() {
            return snapshot != null ? snapshot.open().size() : counters.open();
        }

        long openEphemeral() {
            return snapshot != null ? snapshot.open().stream().filter(SocketView::ephemeral).count()
                    : counters.openEphemeral();
        }

        List<SocketView> newestOpen() {
            return newest(snapshot.open());
        }

        long openLeftOut() {
            return Math.max(0, snapshot.open().size() - maxRows);
        }
    }

    private record Attr(String name, OpenType<?> type, String description, boolean needsSnapshot,
                        Function<Read, Object> value) {
    }

    private final Registry registry;
    private final LongFunction<EphemeralPressure.Worst> pressure;
    private final int warnAt;
    private final int maxRows;
    private final AgentOptions.Notify notify;
    private final JsonReport.Header header;
    private final Path reportDirectory;
    private final ObjectName name;
    private final NotificationBroadcasterSupport broadcaster;
    private final AtomicLong sequence = new AtomicLong();
    private final MBeanInfo info;

    private final List<Attr> attributes;

    /**
     * @param pressure the busiest destination at a given time
     * @param notifications runs the delivery of notifications to listeners, off the caller's thread
     */
    PortsMBean(Registry registry, LongFunction<EphemeralPressure.Worst> pressure, AgentOptions options,
               JsonReport.Header header, Path reportDirectory, Executor notifications) {
        this.registry = registry;
        this.pressure = pressure;
        this.warnAt = options.warnAtPercent();
        this.maxRows = options.maxRows();
        this.notify = options.notifyMode();
        this.header = header;
        this.reportDirectory = reportDirectory.toAbsolutePath().normalize();
        this.name = objectName();
        MBeanNotificationInfo notificationInfo = new MBeanNotificationInfo(
                new String[] {PRESSURE, FIXED_IN_RANGE, SOCKET_OPEN, SOCKET_CLOSE}, Notification.class.getName(),
                "portagent.ephemeral.pressure when the ephemeral-port pressure reaches warnAt percent (and once "
                        + "when it falls back below); portagent.port.fixedInEphemeralRange when code binds a fixed "
                        + "port inside the OS ephemeral range (once per port and line of code); portagent.socket.open and portagent.socket.close for "
                        + "every socket, only with the agent option notify=all. Option notify=none sends nothing. "
                        + "userData is a CompositeData.");
        this.broadcaster = new NotificationBroadcasterSupport(notifications, notificationInfo);
        this.attributes = attributeTable();
        this.info = buildInfo(notificationInfo);
    }

    static ObjectName objectName() {
        try {
            return new ObjectName(OBJECT_NAME);
        } catch (javax.management.MalformedObjectNameException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Registers in the platform MBeanServer; only ever called after the application's main started. */
    static Notifier register(Registry registry, LongFunction<EphemeralPressure.Worst> pressure, AgentOptions options,
                             JsonReport.Header header, Path reportDirectory, Executor notifications) throws Exception {
        PortsMBean mbean = new PortsMBean(registry, pressure, options, header, reportDirectory, notifications);
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        server.registerMBean(mbean, mbean.name);
        return mbean;
    }

    // --- MBeanInfo ---------------------------------------------------------------------------------

    private List<Attr> attributeTable() {
        return List.of(
                new Attr("OpenCount", SimpleType.LONG, "Sockets holding a port now (TCP and UDP, listeners, "
                        + "connections and accepted connections).", false, Read::open),
                new Attr("OpenEphemeralCount", SimpleType.LONG, "Open sockets whose port the OS chose (ephemeral).",
                        false, Read::openEphemeral),
                new Attr("BindCount", SimpleType.LONG, "Binds since the start: listeners, UDP sockets, TCP sockets "
                        + "bound before connecting.", false, r -> r.counters.binds()),
                new Attr("ConnectCount", SimpleType.LONG, "Connects since the start, also refused ones.", false,
                        r -> r.counters.connects()),
                new Attr("AcceptCount", SimpleType.LONG, "Connections accepted since the start.", false,
                        r -> r.counters.accepts()),
                new Attr("CloseCount", SimpleType.LONG, "Sockets closed since the start.", false,
                        r -> r.counters.closed()),
                new Attr("EphemeralAllocatedCount", SimpleType.LONG, "Ports the OS chose since the start.", false,
                        r -> r.counters.ephemeralAllocated()),
                new Attr("EphemeralRangeLow", SimpleType.INTEGER, "Lowest port of the OS ephemeral range "
                        + "(/proc/sys/net/ipv4/ip_local_port_range, else IANA's 49152).", false,
                        r -> registry.ephemeralRange().low()),
                new Attr("EphemeralRangeHigh", SimpleType.INTEGER, "Highest port of the OS ephemeral range.", false,
                        r -> registry.ephemeralRange().high()),
                new Attr("EphemeralPressurePercent", SimpleType.DOUBLE, "Ephemeral ports held towards the busiest "
                        + "destination (open connections plus those closed less than 60 s ago, which TIME_WAIT "
                        + "keeps), as a percentage of the ephemeral range; new connections to it fail at 100.",
                        false, r -> pressure.apply(r.now).percent()),
                new Attr("EphemeralPressure", OpenRows.PRESSURE, "The busiest destination behind "
                        + "EphemeralPressurePercent, with its counts and the warnAt threshold.", false,
                        r -> OpenRows.pressure(pressure.apply(r.now), warnAt)),
                new Attr("Table", OpenRows.STRINGS, "One aligned line per open socket: protocol, local, remote, "
                        + "role, ephemeral, age, thread, and the line of code that opened it. The newest maxRows; a "
                        + "line under the header says how many were left out.", true,
                        r -> TableText.lines(r.newestOpen(), r.openLeftOut(), maxRows, r.now)),
                new Attr("OpenSockets", OpenRows.SOCKETS, "The open sockets, one CompositeData each in the JSON "
                        + "report's field names, with stacks. The newest maxRows; LeftOut.openSockets counts the rest "
                        + "and sockets(offset, limit) pages through all.", true,
                        r -> OpenRows.sockets(r.newestOpen())),
                new Attr("ListeningPorts", OpenRows.LISTENING_TABLE, "Listening TCP ports and UDP ports bound on "
                        + "purpose, indexed on (protocol, port), with numeric columns only: the form the Prometheus "
                        + "JMX exporter turns into labelled samples. Client (ephemeral) ports never appear here.",
                        true, r -> OpenRows.listening(r.snapshot.open(), maxRows, new long[1])),
                new Attr("Sites", OpenRows.SITES, "Lines of code that opened ports: how many, how many are still "
                        + "open, how many got an OS-chosen port. Most opened first, at most maxRows.", true,
                        r -> OpenRows.sites(first(r.snapshot.sites()))),
                new Attr("Warnings", OpenRows.WARNINGS, "Things to look at, such as a fixed port inside the ephemeral "
                        + "range or ephemeral-port pressure at or above warnAt. The newest maxRows.", true,
                        r -> OpenRows.warnings(newest(r.snapshot.warnings()))),
                new Attr("LeftOut", OpenRows.LEFT_OUT, "How many rows the capped attributes left out in this read "
                        + "(option maxRows): read it together with them for numbers that agree.", true, this::leftOut));
    }

    private MBeanInfo buildInfo(MBeanNotificationInfo notificationInfo) {
        List<OpenMBeanAttributeInfoSupport> attrs = new ArrayList<>();
        for (Attr a : attributes) {
            attrs.add(new OpenMBeanAttributeInfoSupport(a.name(), a.description(), a.type(), true, false, false));
        }
        OpenMBeanOperationInfoSupport[] ops = {
            operation("lookup", "The sockets that hold or recently held this local port, open and closed "
                    + "(closed ones as long as the history keeps them), with the stacks of the code that opened "
                    + "them. At most maxRows, newest kept.", OpenRows.SOCKETS, MBeanOperationInfo.INFO,
                    parameter("port", "the local port, 1 to 65535", SimpleType.INTEGER)),
            operation("sockets", "A page of the open sockets in opening order, for when OpenSockets left some "
                    + "out: offset 0 is the oldest. At most maxRows per page.", OpenRows.SOCKETS,
                    MBeanOperationInfo.INFO,
                    parameter("offset", "how many open sockets to skip, from the oldest", SimpleType.INTEGER),
                    parameter("limit", "how many to return at most (capped at maxRows)", SimpleType.INTEGER)),
            operation("report", "The full JSON report (portagent-report/1) as text, as written at exit.",
                    SimpleType.STRING, MBeanOperationInfo.INFO),
            operation("writeReport", "Writes the JSON report to a file in " + reportDirectory + " (the directory of "
                    + "the report option, else the working directory) and returns its path. Only a plain file "
                    + "name is accepted: a path separator or '..' is refused.", SimpleType.STRING,
                    MBeanOperationInfo.ACTION,
                    parameter("fileName", "a plain file name such as ports.json", SimpleType.STRING)),
            operation("clearHistory", "Forgets the closed sockets kept for the report and lookup; open sockets, "
                    + "counters and ephemeral pressure are not affected.", SimpleType.VOID, MBeanOperationInfo.ACTION),
        };
        // immutableInfo lets JConsole and the exporter fetch the MBeanInfo once.
        Descriptor descriptor = new ImmutableDescriptor("immutableInfo=true");
        return new OpenMBeanInfoSupport(getClass().getName(), "Every port this JVM holds, recorded by portagent: "
                + "which code opened it, TCP or UDP, ephemeral or not, on which thread, since when. Each read is a "
                + "snapshot taken without stopping the application (a counted close is never shown open); attributes read "
                + "together in one call come from the same snapshot. "
                + "Sockets found in /proc rather than by a hook (opened before portagent or outside java.net and "
                + "java.nio) are as the last /proc scan found them, at most " + Reconciler.STALE_MILLIS / 1000 + " s ago.",
                attrs.toArray(new OpenMBeanAttributeInfoSupport[0]), new OpenMBeanConstructorInfoSupport[0], ops,
                new MBeanNotificationInfo[] {notificationInfo}, descriptor);
    }

    private static OpenMBeanOperationInfoSupport operation(String name, String description, OpenType<?> returns,
                                                           int impact, OpenMBeanParameterInfoSupport... params) {
        return new OpenMBeanOperationInfoSupport(name, description, params, returns, impact);
    }

    private static OpenMBeanParameterInfoSupport parameter(String name, String description, OpenType<?> type) {
        return new OpenMBeanParameterInfoSupport(name, description, type);
    }

    @Override
    public MBeanInfo getMBeanInfo() {
        return info;
    }

    // --- attributes --------------------------------------------------------------------------------

    @Override
    public Object getAttribute(String attribute) throws AttributeNotFoundException {
        Attr a = attr(attribute);
        if (a == null) {
            throw new AttributeNotFoundException("no attribute " + attribute + " in " + OBJECT_NAME);
        }
        return a.value().apply(new Read(a.needsSnapshot()));
    }

    @Override
    public AttributeList getAttributes(String[] names) {
        boolean needsSnapshot = false;
        for (String n : names) {
            Attr a = attr(n);
            needsSnapshot |= a != null && a.needsSnapshot();
        }
        Read read = new Read(needsSnapshot);
        AttributeList list = new AttributeList();
        for (String n : names) {
            Attr a = attr(n);
            if (a != null) {
                list.add(new Attribute(n, a.value().apply(read)));
            }
        }
        return list;
    }

    private Attr attr(String name) {
        for (Attr a : attributes) {
            if (a.name().equals(name)) {
                return a;
            }
        }
        return null;
    }

    private CompositeData leftOut(Read r) {
        long[] listeningLeftOut = new long[1];
        OpenRows.listening(r.snapshot.open(), maxRows, listeningLeftOut);
        return OpenRows.leftOut(r.openLeftOut(), listeningLeftOut[0],
                Math.max(0, r.snapshot.sites().size() - maxRows), Math.max(0, r.snapshot.warnings().size() - maxRows),
                maxRows);
    }

    private <T> List<T> newest(List<T> inOrder) {
        return inOrder.subList(Math.max(0, inOrder.size() - maxRows), inOrder.size());
    }

    private <T> List<T> first(List<T> list) {
        return list.subList(0, Math.min(list.size(), maxRows));
    }

    @Override
    public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
        throw new AttributeNotFoundException("the attributes of " + OBJECT_NAME + " are read-only");
    }

    @Override
    public AttributeList setAttributes(AttributeList attributes) {
        return new AttributeList();
    }

    // --- operations --------------------------------------------------------------------------------

    @Override
    public Object invoke(String action, Object[] params, String[] signature) throws MBeanException, ReflectionException {
        Object[] p = params == null ? new Object[0] : params;
        switch (action + "/" + p.length) {
            case "lookup/1":
                return lookup(intParam(p[0], "port"));
            case "sockets/2":
                return sockets(intParam(p[0], "offset"), intParam(p[1], "limit"));
            case "report/0":
                return JsonReport.toJson(header, registry.snapshot(0), "jmx");
            case "writeReport/1":
                return writeReport(p[0] instanceof String ? (String) p[0] : null);
            case "clearHistory/0":
                registry.clearHistory();
                return null;
            default:
                throw new ReflectionException(new NoSuchMethodException(action + " with " + p.length
                        + " parameters"), "no operation " + action + " with " + p.length + " parameters in " + OBJECT_NAME);
        }
    }

    private static int intParam(Object value, String name) {
        if (!(value instanceof Integer)) {
            throw new IllegalArgumentException(name + " must be an int, not " + value);
        }
        return (Integer) value;
    }

    CompositeData[] lookup(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1 to 65535, not " + port);
        }
        Snapshot s = registry.snapshot();
        List<SocketView> found = new ArrayList<>();
        for (List<SocketView> list : List.of(s.open(), s.closed())) {
            for (SocketView v : list) {
                if (v.localPort() == port) {
                    found.add(v);
                }
            }
        }
        found.sort(Comparator.comparingLong(SocketView::id));
        return OpenRows.sockets(newest(found));
    }

    CompositeData[] sockets(int offset, int limit) {
        if (offset < 0 || limit < 0) {
            throw new IllegalArgumentException("offset and limit must not be negative: " + offset + ", " + limit);
        }
        List<SocketView> open = registry.snapshot().open();
        int from = Math.min(offset, open.size());
        return OpenRows.sockets(open.subList(from, Math.min(open.size(), from + Math.min(limit, maxRows))));
    }

    String writeReport(String fileName) throws MBeanException {
        Path target = reportFile(reportDirectory, fileName);
        try {
            ReportFiles.writeAtomically(target, out -> JsonReport.write(header, registry.snapshot(0), "jmx", out));
        } catch (IOException e) {
            // Only the message crosses: the client may not have the exception's class.
            throw new MBeanException(new IOException("cannot write " + target + ": " + e), "cannot write " + target);
        }
        return target.toString();
    }

    /** The file {@code fileName} names inside {@code directory}; anything that could leave it is refused. */
    static Path reportFile(Path directory, String fileName) {
        if (fileName == null || fileName.isBlank()) {
            throw new IllegalArgumentException("a file name is needed, such as ports.json");
        }
        if (fileName.indexOf('/') >= 0 || fileName.indexOf('\\') >= 0 || fileName.contains("..")
                || fileName.indexOf('\0') >= 0 || fileName.equals(".")) {
            throw new IllegalArgumentException("refused: '" + fileName + "' is not a plain file name (no path "
                    + "separator, no '..'); reports are written into " + directory + " only");
        }
        Path target = directory.resolve(fileName).normalize();
        if (!directory.equals(target.getParent())) {
            throw new IllegalArgumentException("refused: '" + fileName + "' would leave " + directory);
        }
        return target;
    }

    // --- notifications -----------------------------------------------------------------------------

    @Override
    public void socketOpened(SocketView v) {
        if (notify == AgentOptions.Notify.ALL) {
            send(SOCKET_OPEN, v.protocol() + " " + v.role() + " " + Formats.endpoint(v.localAddress(), v.localPort())
                    + " opened by " + v.site(), OpenRows.socket(v));
        }
    }

    @Override
    public void socketClosed(SocketView v) {
        if (notify == AgentOptions.Notify.ALL) {
            send(SOCKET_CLOSE, v.protocol() + " " + v.role() + " " + Formats.endpoint(v.localAddress(), v.localPort())
                    + " closed, opened by " + v.site(), OpenRows.socket(v));
        }
    }

    @Override
    public void warning(Warning w) {
        if (notify != AgentOptions.Notify.NONE && Warning.FIXED_PORT_IN_EPHEMERAL_RANGE.equals(w.type())) {
            send(FIXED_IN_RANGE, w.message(), OpenRows.warning(w));
        }
    }

    @Override
    public void pressure(EphemeralPressure.Worst w, boolean above) {
        if (notify != AgentOptions.Notify.NONE) {
            String message = above
                    ? String.format(Locale.ROOT, "ephemeral-port pressure reached %.1f%% (warnAt=%d) towards %s",
                    w.percent(), warnAt, w.destination())
                    : String.format(Locale.ROOT, "ephemeral-port pressure fell back to %.1f%%, below warnAt=%d",
                    w.percent(), warnAt);
            send(PRESSURE, message, OpenRows.pressure(w, warnAt));
        }
    }

    private void send(String type, String message, CompositeData userData) {
        Notification n = new Notification(type, name, sequence.incrementAndGet(), System.currentTimeMillis(), message);
        n.setUserData(userData);
        broadcaster.sendNotification(n);
    }

    @Override
    public void addNotificationListener(NotificationListener listener, NotificationFilter filter, Object handback) {
        broadcaster.addNotificationListener(listener, filter, handback);
    }

    @Override
    public void removeNotificationListener(NotificationListener listener) throws ListenerNotFoundException {
        broadcaster.removeNotificationListener(listener);
    }

    @Override
    public void removeNotificationListener(NotificationListener listener, NotificationFilter filter, Object handback)
            throws ListenerNotFoundException {
        broadcaster.removeNotificationListener(listener, filter, handback);
    }

    @Override
    public MBeanNotificationInfo[] getNotificationInfo() {
        return info.getNotifications();
    }
}
