package dev.portagent.report;

import dev.portagent.registry.SiteView;
import dev.portagent.registry.Snapshot;
import dev.portagent.registry.SocketView;
import dev.portagent.registry.Warning;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/**
 * The portagent-report/1 document ({@code src/report-schema.json}). Streamed field by field so that a
 * report of a hundred thousand sockets never exists as a tree in memory.
 */
public final class JsonReport {

    public static final String SCHEMA = "portagent-report/1";

    private static final long MILLIS_A_DAY = 86_400_000L;

    /** What the report says about the JVM and the agent, gathered once. */
    public record Header(long pid, String javaVersion, String vmName, long startTime, String command,
                         String agentVersion, Map<String, String> options) {

        public static Header ofThisJvm(String agentVersion, Map<String, String> options) {
            ProcessHandle self = ProcessHandle.current();
            ProcessHandle.Info info = self.info();
            return new Header(self.pid(), System.getProperty("java.version"), System.getProperty("java.vm.name"),
                    info.startInstant().map(Instant::toEpochMilli).orElse(0L),
                    info.commandLine().orElse(System.getProperty("sun.java.command", "")), agentVersion, options);
        }
    }

    private JsonReport() {
    }

    /**
     * UTC, {@code yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}, for the years 1970 to 9999. By hand: DateTimeFormatter's first
     * use loads and initialises some sixty java.time classes, 5 ms of a short program's exit with a report.
     */
    public static String iso(long epochMillis) {
        long days = Math.floorDiv(epochMillis, MILLIS_A_DAY);
        long millis = Math.floorMod(epochMillis, MILLIS_A_DAY);
        // The proleptic Gregorian date of a day number, counted in 400-year eras from 0000-03-01 (the leap
        // day ends a year that begins in March); H. Hinnant's civil_from_days.
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long dayOfEra = z - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long monthFromMarch = (5 * dayOfYear + 2) / 153;
        long day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1;
        long month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
        long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        StringBuilder text = new StringBuilder(24);
        digits(text, year, 4).append('-');
        digits(text, month, 2).append('-');
        digits(text, day, 2).append('T');
        digits(text, millis / 3_600_000, 2).append(':');
        digits(text, millis / 60_000 % 60, 2).append(':');
        digits(text, millis / 1000 % 60, 2).append('.');
        return digits(text, millis % 1000, 3).append('Z').toString();
    }

    private static StringBuilder digits(StringBuilder text, long value, int width) {
        String plain = Long.toString(value);
        for (int i = plain.length(); i < width; i++) {
            text.append('0');
        }
        return text.append(plain);
    }

    public static String toJson(Header header, Snapshot snapshot, String reason) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            write(header, snapshot, reason, out);
        } catch (IOException e) {
            throw new IllegalStateException(e); // cannot happen in memory
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    public static void write(Header header, Snapshot s, String reason, OutputStream out) throws IOException {
        try (JsonWriter g = new JsonWriter(out)) {
            g.writeStartObject();
            g.writeStringField("schema", SCHEMA);
            g.writeStringField("generatedAt", iso(s.takenAt()));
            g.writeStringField("reason", reason);

            g.writeObjectFieldStart("jvm");
            g.writeNumberField("pid", header.pid());
            g.writeStringField("javaVersion", header.javaVersion());
            g.writeStringField("vmName", header.vmName());
            g.writeStringField("startTime", header.startTime() == 0 ? null : iso(header.startTime()));
            g.writeStringField("command", header.command());
            g.writeEndObject();

            g.writeObjectFieldStart("agent");
            g.writeStringField("version", header.agentVersion());
            g.writeObjectFieldStart("options");
            for (Map.Entry<String, String> e : header.options().entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();

            g.writeObjectFieldStart("ephemeralRange");
            g.writeNumberField("low", s.ephemeralRange().low());
            g.writeNumberField("high", s.ephemeralRange().high());
            g.writeStringField("source", s.ephemeralRange().source());
            g.writeEndObject();

            Snapshot.Counters c = s.counters();
            g.writeObjectFieldStart("summary");
            g.writeNumberField("open", s.open().size());
            g.writeNumberField("openEphemeral", s.open().stream().filter(SocketView::ephemeral).count());
            g.writeNumberField("ephemeralAllocated", c.ephemeralAllocated());
            g.writeNumberField("binds", c.binds());
            g.writeNumberField("connects", c.connects());
            g.writeNumberField("accepts", c.accepts());
            g.writeNumberField("closed", c.closed());
            g.writeNumberField("droppedHistory", c.droppedHistory());
            g.writeObjectFieldStart("origins");
            for (Map.Entry<String, Long> e : s.origins().entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();

            g.writeArrayFieldStart("sockets");
            for (SocketView v : s.open()) {
                socket(g, v);
            }
            for (SocketView v : s.closed()) {
                socket(g, v);
            }
            g.writeEndArray();

            g.writeArrayFieldStart("sites");
            for (SiteView site : s.sites()) {
                g.writeStartObject();
                g.writeStringField("site", site.site());
                g.writeNumberField("opened", site.opened());
                g.writeNumberField("open", site.open());
                g.writeNumberField("ephemeral", site.ephemeral());
                g.writeEndObject();
            }
            g.writeEndArray();

            g.writeArrayFieldStart("warnings");
            for (Warning w : s.warnings()) {
                g.writeStartObject();
                g.writeStringField("type", w.type());
                g.writeStringField("message", w.message());
                if (w.port() != 0) {
                    g.writeNumberField("port", w.port());
                } else {
                    g.writeNullField("port");
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    private static void socket(JsonWriter g, SocketView v) throws IOException {
        g.writeStartObject();
        g.writeNumberField("id", v.id());
        g.writeStringField("protocol", v.protocol());
        g.writeStringField("role", v.role());
        g.writeStringField("family", v.family());
        g.writeStringField("localAddress", v.localAddress());
        g.writeNumberField("localPort", v.localPort());
        g.writeStringField("remoteAddress", v.remoteAddress());
        if (v.remoteAddress() == null) {
            g.writeNullField("remotePort");
        } else {
            g.writeNumberField("remotePort", v.remotePort());
        }
        g.writeNumberField("requestedPort", v.requestedPort());
        g.writeBooleanField("ephemeral", v.ephemeral());
        g.writeBooleanField("inEphemeralRange", v.inEphemeralRange());
        g.writeStringField("state", v.state());
        g.writeStringField("openedAt", iso(v.openedAt()));
        g.writeStringField("closedAt", v.closedAt() == 0 ? null : iso(v.closedAt()));
        g.writeStringField("thread", v.thread());
        g.writeNumberField("threadId", v.threadId());
        g.writeBooleanField("virtual", v.virtual());
        g.writeStringField("site", v.site());
        g.writeArrayFieldStart("stack");
        for (String frame : v.stack()) {
            g.writeString(frame);
        }
        g.writeEndArray();
        g.writeStringField("origin", v.origin());
        if (v.error() != null) {
            g.writeStringField("error", v.error());
        }
        g.writeEndObject();
    }
}
