package dev.portagent.jmx;

import dev.portagent.registry.SiteView;
import dev.portagent.registry.SocketView;
import dev.portagent.registry.Warning;
import dev.portagent.report.JsonReport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.management.openmbean.ArrayType;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;
import javax.management.openmbean.TabularDataSupport;
import javax.management.openmbean.TabularType;

/**
 * The open types of the MBean and the conversions into them: a client with nothing but the JDK reads
 * every value. Socket rows use the JSON report's field names and formats.
 */
final class OpenRows {

    static final CompositeType SOCKET;
    static final CompositeType SITE;
    static final CompositeType WARNING;
    static final CompositeType LISTENING;
    static final TabularType LISTENING_TABLE;
    static final CompositeType LEFT_OUT;
    static final CompositeType PRESSURE;
    static final ArrayType<CompositeData[]> SOCKETS;
    static final ArrayType<CompositeData[]> SITES;
    static final ArrayType<CompositeData[]> WARNINGS;
    static final ArrayType<String[]> STRINGS;

    static {
        try {
            SOCKET = type("Socket", "One socket, in the JSON report's field names; times are ISO-8601 UTC",
                    "id", SimpleType.LONG, "record id, in opening order",
                    "protocol", SimpleType.STRING, "tcp or udp",
                    "role", SimpleType.STRING, "listen, connect, accept or bind",
                    "family", SimpleType.STRING, "ipv4 or ipv6",
                    "localAddress", SimpleType.STRING, "local address as ss shows it",
                    "localPort", SimpleType.INTEGER, "local port",
                    "remoteAddress", SimpleType.STRING, "remote address; null when not connected",
                    "remotePort", SimpleType.INTEGER, "remote port; null when not connected",
                    "requestedPort", SimpleType.INTEGER, "the port the code asked for; 0 when none",
                    "ephemeral", SimpleType.BOOLEAN, "true when the OS chose the port",
                    "inEphemeralRange", SimpleType.BOOLEAN, "true when the port lies in the OS ephemeral range",
                    "state", SimpleType.STRING, "open or closed",
                    "openedAt", SimpleType.STRING, "when the port was taken",
                    "closedAt", SimpleType.STRING, "when it was released; null while open",
                    "thread", SimpleType.STRING, "name of the thread that opened it",
                    "threadId", SimpleType.LONG, "id of that thread",
                    "virtual", SimpleType.BOOLEAN, "true when that thread was virtual",
                    "site", SimpleType.STRING, "the first frame of application code; null when stacks are off; in parentheses: why there is no stack",
                    "stack", new ArrayType<>(1, SimpleType.STRING), "frames of the code that opened it",
                    "origin", SimpleType.STRING, "who recorded it",
                    "error", SimpleType.STRING, "why a connect failed; null otherwise");
            SITE = type("Site", "Ports opened from one line of code",
                    "site", SimpleType.STRING, "the line of code",
                    "opened", SimpleType.LONG, "sockets it opened since the start",
                    "open", SimpleType.LONG, "of those, still open",
                    "ephemeral", SimpleType.LONG, "of those opened, how many got a port the OS chose");
            WARNING = type("Warning", "Something to look at",
                    "type", SimpleType.STRING, "kind of warning, e.g. FIXED_PORT_IN_EPHEMERAL_RANGE",
                    "message", SimpleType.STRING, "what happened and why it matters",
                    "port", SimpleType.INTEGER, "the port concerned; 0 when not about one port");
            // Numbers only beside the index: the Prometheus JMX exporter turns the index into labels
            // and each numeric column into a sample, and drops strings.
            LISTENING = type("ListeningPort", "A port the application serves on",
                    "protocol", SimpleType.STRING, "tcp or udp",
                    "port", SimpleType.INTEGER, "the local port",
                    "sockets", SimpleType.INTEGER, "open sockets bound to it (IPv4 and IPv6, reuseport)",
                    "connections", SimpleType.INTEGER, "accepted connections on it still open",
                    "inEphemeralRange", SimpleType.INTEGER, "1 when the port lies in the OS ephemeral range");
            LISTENING_TABLE = new TabularType("ListeningPorts", "Listening TCP ports and UDP ports bound on purpose",
                    LISTENING, new String[] {"protocol", "port"});
            LEFT_OUT = type("LeftOut", "Rows the capped attributes left out at this read (option maxRows)",
                    "openSockets", SimpleType.LONG, "older open sockets missing from Table and OpenSockets",
                    "listeningPorts", SimpleType.LONG, "listening ports missing from ListeningPorts",
                    "sites", SimpleType.LONG, "sites missing from Sites (those that opened fewest)",
                    "warnings", SimpleType.LONG, "older warnings missing from Warnings",
                    "maxRows", SimpleType.INTEGER, "the cap");
            PRESSURE = type("EphemeralPressure", "Ephemeral ports held towards the busiest destination",
                    "percent", SimpleType.DOUBLE, "held ports as a percentage of the ephemeral range",
                    "destination", SimpleType.STRING, "remote address:port; null when there is none",
                    "open", SimpleType.INTEGER, "open connections to it",
                    "recentlyClosed", SimpleType.INTEGER, "connections to it closed less than 60 s ago",
                    "rangeSize", SimpleType.INTEGER, "ports in the OS ephemeral range",
                    "warnAt", SimpleType.INTEGER, "the threshold, option warnAt",
                    "above", SimpleType.BOOLEAN, "true when the pressure is at or above warnAt");
            SOCKETS = ArrayType.getArrayType(SOCKET);
            SITES = ArrayType.getArrayType(SITE);
            WARNINGS = ArrayType.getArrayType(WARNING);
            STRINGS = new ArrayType<>(1, SimpleType.STRING);
        } catch (OpenDataException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private OpenRows() {
    }

    /** Triples of item name, type and description. */
    private static CompositeType type(String name, String description, Object... items) throws OpenDataException {
        int n = items.length / 3;
        String[] names = new String[n];
        String[] descriptions = new String[n];
        OpenType<?>[] types = new OpenType<?>[n];
        for (int i = 0; i < n; i++) {
            names[i] = (String) items[3 * i];
            types[i] = (OpenType<?>) items[3 * i + 1];
            descriptions[i] = (String) items[3 * i + 2];
        }
        return new CompositeType(name, description, names, descriptions, types);
    }

    static CompositeData socket(SocketView v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", v.id());
        m.put("protocol", v.protocol());
        m.put("role", v.role());
        m.put("family", v.family());
        m.put("localAddress", v.localAddress());
        m.put("localPort", v.localPort());
        m.put("remoteAddress", v.remoteAddress());
        m.put("remotePort", v.remoteAddress() == null ? null : v.remotePort());
        m.put("requestedPort", v.requestedPort());
        m.put("ephemeral", v.ephemeral());
        m.put("inEphemeralRange", v.inEphemeralRange());
        m.put("state", v.state());
        m.put("openedAt", JsonReport.iso(v.openedAt()));
        m.put("closedAt", v.closedAt() == 0 ? null : JsonReport.iso(v.closedAt()));
        m.put("thread", v.thread());
        m.put("threadId", v.threadId());
        m.put("virtual", v.virtual());
        m.put("site", v.site());
        m.put("stack", v.stack().toArray(new String[0]));
        m.put("origin", v.origin());
        m.put("error", v.error());
        return data(SOCKET, m);
    }

    static CompositeData[] sockets(List<SocketView> views) {
        return rows(views, OpenRows::socket);
    }

    static CompositeData[] sites(List<SiteView> sites) {
        return rows(sites, s -> data(SITE, Map.of("site", s.site(), "opened", s.opened(), "open", s.open(),
                "ephemeral", s.ephemeral())));
    }

    static CompositeData warning(Warning w) {
        return data(WARNING, Map.of("type", w.type(), "message", w.message(), "port", w.port()));
    }

    static CompositeData[] warnings(List<Warning> warnings) {
        return rows(warnings, OpenRows::warning);
    }

    private static <T> CompositeData[] rows(List<T> items, Function<T, CompositeData> row) {
        CompositeData[] rows = new CompositeData[items.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = row.apply(items.get(i));
        }
        return rows;
    }

    static CompositeData pressure(EphemeralPressure.Worst p, int warnAt) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("percent", p.percent());
        m.put("destination", p.destination());
        m.put("open", p.open());
        m.put("recentlyClosed", p.recentlyClosed());
        m.put("rangeSize", p.rangeSize());
        m.put("warnAt", warnAt);
        m.put("above", p.percent() >= warnAt);
        return data(PRESSURE, m);
    }

    static CompositeData leftOut(long openSockets, long listeningPorts, long sites, long warnings, int maxRows) {
        return data(LEFT_OUT, Map.of("openSockets", openSockets, "listeningPorts", listeningPorts, "sites", sites,
                "warnings", warnings, "maxRows", maxRows));
    }

    /** A listening port and its counts, before it becomes a row. */
    static final class Listening {
        final String protocol;
        final int port;
        final boolean inEphemeralRange;
        final long firstId;
        int sockets;
        int connections;

        Listening(String protocol, int port, boolean inEphemeralRange, long firstId) {
            this.protocol = protocol;
            this.port = port;
            this.inEphemeralRange = inEphemeralRange;
            this.firstId = firstId;
        }
    }

    /**
     * TCP listeners and UDP sockets bound to a port the code asked for, with the open accepted
     * connections of each TCP port. Client ports never become rows: as labels they would be
     * unbounded. Returns the rows kept (newest {@code maxRows}) and, in {@code leftOut[0]}, how many
     * were not.
     */
    static TabularDataSupport listening(List<SocketView> open, int maxRows, long[] leftOut) {
        Map<String, Listening> ports = new LinkedHashMap<>();
        for (SocketView v : open) {
            boolean tcpListener = "tcp".equals(v.protocol()) && "listen".equals(v.role());
            boolean udpServer = "udp".equals(v.protocol()) && "bind".equals(v.role()) && !v.ephemeral();
            if (tcpListener || udpServer) {
                ports.computeIfAbsent(v.protocol() + ':' + v.localPort(),
                        k -> new Listening(v.protocol(), v.localPort(), v.inEphemeralRange(), v.id())).sockets++;
            }
        }
        for (SocketView v : open) {
            if ("accept".equals(v.role())) {
                Listening l = ports.get("tcp:" + v.localPort());
                if (l != null) {
                    l.connections++;
                }
            }
        }
        List<Listening> rows = new ArrayList<>(ports.values());
        rows.sort((a, b) -> Long.compare(a.firstId, b.firstId));
        int from = Math.max(0, rows.size() - maxRows);
        leftOut[0] = from;
        TabularDataSupport table = new TabularDataSupport(LISTENING_TABLE);
        for (Listening l : rows.subList(from, rows.size())) {
            table.put(data(LISTENING, Map.of("protocol", l.protocol, "port", l.port, "sockets", l.sockets,
                    "connections", l.connections, "inEphemeralRange", l.inEphemeralRange ? 1 : 0)));
        }
        return table;
    }

    private static CompositeData data(CompositeType type, Map<String, ?> values) {
        try {
            return new CompositeDataSupport(type, values);
        } catch (OpenDataException e) {
            throw new IllegalStateException("a row does not fit its own type " + type.getTypeName(), e);
        }
    }
}
