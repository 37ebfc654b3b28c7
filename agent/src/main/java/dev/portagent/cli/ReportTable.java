package dev.portagent.cli;

import dev.portagent.report.Formats;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** A portagent-report/1 document as text a person reads in a terminal: aligned columns, as ss prints them. */
final class ReportTable {

    static final String SCHEMA = "portagent-report/1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] SOCKET_COLUMNS =
            {"PROTO", "LOCAL", "REMOTE", "ROLE", "EPHEMERAL", "STATE", "AGE", "THREAD", "SITE"};

    private ReportTable() {
    }

    /** Parses a report; the message of the exception says what is wrong with it in one line. */
    static JsonNode parse(String json, String source) throws CliException {
        JsonNode report;
        try {
            report = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new CliException(Main.ERROR, "portagent: " + source + " is not JSON: "
                    + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        if (report == null || !SCHEMA.equals(report.path("schema").asText())) {
            throw new CliException(Main.ERROR, "portagent: " + source + " is not a portagent report (no \"schema\": \""
                    + SCHEMA + "\")");
        }
        return report;
    }

    /** Open sockets, and with {@code all} the closed ones the report still holds; header first. */
    static List<String> sockets(JsonNode report, boolean all) {
        return sockets(report, s -> all || "open".equals(s.path("state").asText()));
    }

    static List<String> sockets(JsonNode report, Predicate<JsonNode> which) {
        long generated = time(report.path("generatedAt"));
        List<String[]> rows = new ArrayList<>();
        rows.add(SOCKET_COLUMNS);
        for (JsonNode s : report.path("sockets")) {
            if (!which.test(s)) {
                continue;
            }
            long closed = time(s.path("closedAt"));
            rows.add(new String[] {
                    s.path("protocol").asText(),
                    Formats.endpoint(s.path("localAddress").asText(), s.path("localPort").asInt()),
                    s.path("remoteAddress").isTextual()
                            ? Formats.endpoint(s.path("remoteAddress").asText(), s.path("remotePort").asInt()) : "*:*",
                    s.path("role").asText(),
                    s.path("ephemeral").asBoolean() ? "yes" : "no",
                    s.path("state").asText(),
                    Formats.age((closed > 0 ? closed : generated) - time(s.path("openedAt"))),
                    text(s.path("thread")),
                    text(s.path("site"))});
        }
        return align(rows);
    }

    static List<String> sites(JsonNode report) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"OPENED", "OPEN", "EPHEMERAL", "SITE"});
        for (JsonNode site : report.path("sites")) {
            rows.add(new String[] {site.path("opened").asText(), site.path("open").asText(),
                    site.path("ephemeral").asText(), text(site.path("site"))});
        }
        return align(rows);
    }

    static List<String> warnings(JsonNode report) {
        List<String> lines = new ArrayList<>();
        for (JsonNode w : report.path("warnings")) {
            lines.add(w.path("type").asText() + ": " + w.path("message").asText());
        }
        return lines;
    }

    /** One line: whose report, when, and how many sockets of each origin. */
    static String summary(JsonNode report) {
        JsonNode jvm = report.path("jvm");
        JsonNode summary = report.path("summary");
        StringBuilder origins = new StringBuilder();
        summary.path("origins").fields().forEachRemaining(e -> origins.append(origins.length() == 0 ? "" : ", ")
                .append(e.getKey()).append(' ').append(e.getValue().asText()));
        return "pid " + jvm.path("pid").asText() + " (Java " + jvm.path("javaVersion").asText() + ", "
                + main(jvm.path("command").asText()) + "): " + summary.path("open").asText() + " open"
                + (origins.length() > 0 ? " (" + origins + ")" : "") + ", " + summary.path("closed").asText()
                + " closed; report of " + report.path("generatedAt").asText() + " by portagent "
                + report.path("agent").path("version").asText();
    }

    /** The record of one socket in full, for {@code who}: what, when, which thread, which code. */
    static List<String> details(JsonNode s, long generated) {
        List<String> lines = new ArrayList<>();
        long closed = time(s.path("closedAt"));
        lines.add("  " + s.path("protocol").asText() + " " + s.path("role").asText() + " "
                + Formats.endpoint(s.path("localAddress").asText(), s.path("localPort").asInt())
                + (s.path("remoteAddress").isTextual()
                        ? " -> " + Formats.endpoint(s.path("remoteAddress").asText(), s.path("remotePort").asInt()) : "")
                + ", " + s.path("state").asText() + ", opened " + s.path("openedAt").asText()
                + " (" + Formats.age((closed > 0 ? closed : generated) - time(s.path("openedAt"))) + " ago)"
                + (s.path("thread").isTextual() ? " on thread " + s.path("thread").asText() : "")
                + ", origin " + s.path("origin").asText());
        lines.add("    site: " + text(s.path("site")));
        boolean first = true;
        for (JsonNode frame : s.path("stack")) {
            lines.add((first ? "    stack: " : "           ") + frame.asText());
            first = false;
        }
        return lines;
    }

    static long time(JsonNode iso) {
        try {
            return iso.isTextual() ? Instant.parse(iso.asText()).toEpochMilli() : 0;
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** The main class or jar of a command line, for a summary that fits on a line. */
    static String main(String command) {
        String main = Processes.mainOf(List.of(command.split(" ")));
        return main == null ? command : main;
    }



    private static String text(JsonNode node) {
        return node.isTextual() ? node.asText() : "-";
    }

    /** Columns padded to the widest cell; the last one is not padded, so no line ends in blanks. */
    static List<String> align(List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int c = 0; c < columns; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                line.append(row[c]);
                if (c < columns - 1) {
                    line.append(" ".repeat(width[c] - row[c].length() + 2));
                }
            }
            lines.add(line.toString());
        }
        return lines;
    }
}
