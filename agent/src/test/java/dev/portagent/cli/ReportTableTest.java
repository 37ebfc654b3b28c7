package dev.portagent.cli;

import dev.portagent.report.Formats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class ReportTableTest {

    static final String REPORT = """
            {"schema":"portagent-report/1","generatedAt":"2025-01-01T10:00:00.000Z","reason":"exit",
             "jvm":{"pid":4242,"javaVersion":"17.0.9","vmName":"OpenJDK","startTime":null,"command":"java -cp app.jar com.example.App"},
             "agent":{"version":"0.1.0","options":{}},
             "ephemeralRange":{"low":32768,"high":60999,"source":"test"},
             "summary":{"open":2,"openEphemeral":1,"ephemeralAllocated":1,"binds":1,"connects":1,"accepts":0,"closed":1,
                        "droppedHistory":0,"origins":{"agent":1,"before-agent":0,"native":1}},
             "sockets":[
               {"id":1,"protocol":"tcp","role":"listen","family":"ipv6","localAddress":"::","localPort":8080,
                "remoteAddress":null,"remotePort":null,"requestedPort":8080,"ephemeral":false,"inEphemeralRange":false,
                "state":"open","openedAt":"2025-01-01T09:58:55.000Z","closedAt":null,"thread":"main","threadId":1,
                "virtual":false,"site":"com.example.App.main(App.java:12)","stack":["java.net.ServerSocket.<init>(ServerSocket.java:1)","com.example.App.main(App.java:12)"],"origin":"agent"},
               {"id":2,"protocol":"tcp","role":"connect","family":"ipv4","localAddress":"127.0.0.1","localPort":40000,
                "remoteAddress":"127.0.0.1","remotePort":8080,"requestedPort":0,"ephemeral":true,"inEphemeralRange":true,
                "state":"open","openedAt":"2025-01-01T07:00:00.000Z","closedAt":null,"thread":null,"threadId":0,
                "virtual":false,"site":"(native)","stack":[],"origin":"native"},
               {"id":3,"protocol":"udp","role":"bind","family":"ipv4","localAddress":"0.0.0.0","localPort":5353,
                "remoteAddress":null,"remotePort":null,"requestedPort":5353,"ephemeral":false,"inEphemeralRange":false,
                "state":"closed","openedAt":"2025-01-01T09:00:00.000Z","closedAt":"2025-01-01T09:00:07.000Z","thread":"t","threadId":9,
                "virtual":false,"site":"com.example.App.udp(App.java:20)","stack":[],"origin":"agent"}],
             "sites":[{"site":"com.example.App.main(App.java:12)","opened":1,"open":1,"ephemeral":0}],
             "warnings":[{"type":"FIXED_PORT_IN_EPHEMERAL_RANGE","message":"port 50000 ...","port":50000}]}
            """;

    @Test
    void openSocketsAsAlignedColumns() throws CliException {
        JsonNode report = ReportTable.parse(REPORT, "test");

        assertThat(ReportTable.sockets(report, false)).containsExactly(
                "PROTO  LOCAL            REMOTE          ROLE     EPHEMERAL  STATE  AGE    THREAD  SITE",
                "tcp    [::]:8080        *:*             listen   no         open   1m05s  main    com.example.App.main(App.java:12)",
                "tcp    127.0.0.1:40000  127.0.0.1:8080  connect  yes        open   3h00m  -       (native)");
        assertThat(ReportTable.sockets(report, true)).hasSize(4).last().asString()
                .startsWith("udp    0.0.0.0:5353").contains("closed  7s");
    }

    @Test
    void summarySitesWarningsAndDetails() throws CliException {
        JsonNode report = ReportTable.parse(REPORT, "test");

        assertThat(ReportTable.summary(report)).isEqualTo("pid 4242 (Java 17.0.9, com.example.App): 2 open"
                + " (agent 1, before-agent 0, native 1), 1 closed; report of 2025-01-01T10:00:00.000Z by portagent 0.1.0");
        assertThat(ReportTable.sites(report)).containsExactly("OPENED  OPEN  EPHEMERAL  SITE",
                "1       1     0          com.example.App.main(App.java:12)");
        assertThat(ReportTable.warnings(report)).containsExactly("FIXED_PORT_IN_EPHEMERAL_RANGE: port 50000 ...");
        assertThat(ReportTable.details(report.path("sockets").get(0), ReportTable.time(report.path("generatedAt"))))
                .containsExactly("  tcp listen [::]:8080, open, opened 2025-01-01T09:58:55.000Z (1m05s ago) on thread main, origin agent",
                        "    site: com.example.App.main(App.java:12)",
                        "    stack: java.net.ServerSocket.<init>(ServerSocket.java:1)",
                        "           com.example.App.main(App.java:12)");
    }

    @Test
    void ages() {
        assertThat(Formats.age(999)).isEqualTo("0s");
        assertThat(Formats.age(59_000)).isEqualTo("59s");
        assertThat(Formats.age(3_599_000)).isEqualTo("59m59s");
        assertThat(Formats.age(86_399_000)).isEqualTo("23h59m");
        assertThat(Formats.age(90_000_000)).isEqualTo("1d01h");
    }

    @Test
    void whatIsNotAReportIsSaidInOneLine() {
        assertThatThrownBy(() -> ReportTable.parse("{", "x.json")).hasMessageStartingWith("portagent: x.json is not JSON: ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> ReportTable.parse("{\"a\":1}", "x.json"))
                .hasMessage("portagent: x.json is not a portagent report (no \"schema\": \"portagent-report/1\")");
    }
}
