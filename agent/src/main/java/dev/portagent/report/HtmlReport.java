package dev.portagent.report;

import dev.portagent.registry.SiteView;
import dev.portagent.registry.Snapshot;
import dev.portagent.registry.SocketView;
import dev.portagent.registry.Warning;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The report as one self-contained HTML page: inline CSS and an inline SVG timeline, no scripts and no
 * fonts to fetch, so that it opens from a CI artifact on a machine with no network.
 */
public final class HtmlReport {

    private static final int TIMELINE_WIDTH = 900;
    private static final int TIMELINE_HEIGHT = 160;

    private HtmlReport() {
    }

    public static void write(JsonReport.Header header, Snapshot s, String reason, OutputStream out) throws IOException {
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        w.write("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>portagent report: pid "
                + header.pid() + "</title>\n<style>"
                + "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
                + "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;white-space:nowrap}"
                + "th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}code{font:12px monospace}"
                + ".warn{background:#fff4e5;border-left:4px solid #f90;padding:4px 8px;margin:4px 0}"
                + "svg{border:1px solid #ddd;background:#fcfcfc}"
                + "</style></head><body>\n");
        w.write("<h1>Ports of pid " + header.pid() + "</h1>\n<p>" + esc(header.command()) + "<br>Java "
                + esc(header.javaVersion()) + " (" + esc(header.vmName()) + "), portagent " + esc(header.agentVersion())
                + ". Report made at " + JsonReport.iso(s.takenAt()) + " (" + esc(reason) + ").</p>\n");
        Snapshot.Counters c = s.counters();
        w.write("<p><b>" + s.open().size() + "</b> sockets open, <b>" + c.ephemeralAllocated()
                + "</b> ephemeral ports allocated, " + c.binds() + " binds, " + c.connects() + " connects, "
                + c.accepts() + " accepts, " + c.closed() + " closed. Ephemeral range " + s.ephemeralRange().low() + "-"
                + s.ephemeralRange().high() + " (" + esc(s.ephemeralRange().source()) + ").</p>\n");

        if (!s.warnings().isEmpty()) {
            w.write("<h2>Warnings</h2>\n");
            for (Warning warning : s.warnings()) {
                w.write("<div class=\"warn\"><b>" + esc(warning.type()) + "</b> " + esc(warning.message()) + "</div>\n");
            }
        }

        w.write("<h2>Open ports over time</h2>\n");
        timeline(w, s);

        w.write("<h2>Open sockets</h2>\n<table><tr><th>protocol</th><th>local</th><th>remote</th><th>role</th>"
                + "<th>ephemeral</th><th>opened</th><th>thread</th><th>site</th></tr>\n");
        for (SocketView v : s.open()) {
            w.write("<tr><td>" + v.protocol() + "</td><td><code>" + esc(v.localAddress()) + ":" + v.localPort()
                    + "</code></td><td><code>" + (v.remoteAddress() == null ? "" : esc(v.remoteAddress()) + ":" + v.remotePort())
                    + "</code></td><td>" + v.role() + "</td><td>" + (v.ephemeral() ? "yes" : "no") + "</td><td>"
                    + JsonReport.iso(v.openedAt()) + "</td><td>" + esc(v.thread()) + "</td><td><code>" + esc(orDash(v.site()))
                    + "</code></td></tr>\n");
        }
        w.write("</table>\n");

        w.write("<h2>Sites, by ports allocated</h2>\n<table><tr><th>site</th><th>ephemeral ports</th><th>opened</th><th>open</th></tr>\n");
        List<SiteView> sites = new ArrayList<>(s.sites());
        // Ranked by the ports each site made the OS allocate: the ones that exhaust the ephemeral range.
        sites.sort(Comparator.comparingLong(SiteView::ephemeral).thenComparingLong(SiteView::opened).reversed());
        for (SiteView site : sites) {
            w.write("<tr><td><code>" + esc(site.site()) + "</code></td><td class=\"n\">" + site.ephemeral()
                    + "</td><td class=\"n\">" + site.opened() + "</td><td class=\"n\">" + site.open() + "</td></tr>\n");
        }
        w.write("</table>\n</body></html>\n");
        w.flush();
    }

    /**
     * Open sockets over time, rebuilt from the records in the report (open ones and the closed
     * history): a step line from the first open to the report's time.
     */
    private static void timeline(Writer w, Snapshot s) throws IOException {
        List<long[]> events = new ArrayList<>();
        for (List<SocketView> list : List.of(s.open(), s.closed())) {
            for (SocketView v : list) {
                events.add(new long[] {v.openedAt(), 1});
                if (v.closedAt() != 0) {
                    events.add(new long[] {v.closedAt(), -1});
                }
            }
        }
        if (events.isEmpty()) {
            w.write("<p>No sockets.</p>\n");
            return;
        }
        events.sort(Comparator.comparingLong((long[] e) -> e[0]).thenComparingLong(e -> -e[1]));
        long start = events.get(0)[0];
        long span = Math.max(1, s.takenAt() - start);
        int level = 0;
        int max = 1;
        for (long[] e : events) {
            level += (int) e[1];
            max = Math.max(max, level);
        }
        StringBuilder points = new StringBuilder();
        level = 0;
        double y = TIMELINE_HEIGHT;
        for (long[] e : events) {
            double x = (e[0] - start) * (double) TIMELINE_WIDTH / span;
            points.append(fmt(x)).append(',').append(fmt(y)).append(' ');
            level += (int) e[1];
            y = TIMELINE_HEIGHT - level * (TIMELINE_HEIGHT - 10.0) / max;
            points.append(fmt(x)).append(',').append(fmt(y)).append(' ');
        }
        points.append(TIMELINE_WIDTH).append(',').append(fmt(y));
        w.write("<svg width=\"" + TIMELINE_WIDTH + "\" height=\"" + TIMELINE_HEIGHT + "\" role=\"img\" aria-label=\"open sockets over time\">"
                + "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" points=\"" + points + "\"/>"
                + "<text x=\"4\" y=\"14\" font-size=\"12\">max " + max + " open</text></svg>\n"
                + "<p>From " + JsonReport.iso(start) + " to " + JsonReport.iso(s.takenAt()) + "; rebuilt from the "
                + events.size() + " open and close events in this report"
                + (s.counters().droppedHistory() > 0 ? " (" + s.counters().droppedHistory() + " closed records were dropped from the history)" : "")
                + ".</p>\n");
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
