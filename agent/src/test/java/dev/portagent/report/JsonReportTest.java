package dev.portagent.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.portagent.proc.EphemeralRange;
import dev.portagent.registry.FakeKernel;
import dev.portagent.registry.Recorder;
import dev.portagent.registry.Registry;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonReportTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Registry registry = new Registry(new EphemeralRange(32768, 60999, "test"), 8, 10, () -> 0);
    private final Recorder recorder = new Recorder(registry, new FakeKernel(false, 40000), 8, 0, true);

    private final JsonReport.Header header = new JsonReport.Header(42, "17.0.1", "Test VM", 1_700_000_000_000L,
            "java -jar app.jar", "1.2.3", Map.of("report", "ports.json", "stack", "8"));

    /** The report's times, written by hand, are what DateTimeFormatter writes: leap days and centuries too. */
    @Test
    void timesAreWhatDateTimeFormatterWrites() {
        DateTimeFormatter iso = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
        List<Long> times = new ArrayList<>(List.of(0L, 1L, 999L, 86_399_999L, 86_400_000L, 1_700_000_000_000L,
                Instant.parse("1972-02-29T12:00:00.001Z").toEpochMilli(), Instant.parse("2000-02-29T23:59:59.999Z").toEpochMilli(),
                Instant.parse("2000-03-01T00:00:00Z").toEpochMilli(), Instant.parse("2100-02-28T23:59:59.999Z").toEpochMilli(),
                Instant.parse("2100-03-01T00:00:00Z").toEpochMilli(), Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli()));
        Random random = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            times.add(random.nextLong(Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli() + 1));
        }

        for (long t : times) {
            assertThat(JsonReport.iso(t)).as("%d", t).isEqualTo(iso.format(Instant.ofEpochMilli(t)));
        }
    }

    @Test
    void aReportOfEveryKindOfRecordFollowsTheSchema() throws IOException {
        FileDescriptor listener = new FileDescriptor();
        recorder.created(null, listener, false, true);
        recorder.bound(null, listener, LOOPBACK, 45678);
        FileDescriptor client = new FileDescriptor();
        recorder.connected(null, client, LOOPBACK, 45678, null);
        recorder.closed(client);
        recorder.connected(null, new FileDescriptor(), LOOPBACK, 1, new ConnectException("Connection refused"));

        JsonNode report = JSON.readTree(JsonReport.toJson(header, registry.snapshot(), "exit"));

        assertThat(schema().validate(report)).isEmpty();
        assertThat(report.get("schema").asText()).isEqualTo("portagent-report/1");
        assertThat(report.at("/summary/open").asInt()).isEqualTo(1);
        assertThat(report.at("/summary/closed").asInt()).isEqualTo(2);
        assertThat(report.at("/sockets/0/role").asText()).isEqualTo("listen");
        assertThat(report.at("/sockets/0/remotePort").isNull()).isTrue();
        assertThat(report.at("/sockets/0/closedAt").isNull()).isTrue();
        assertThat(report.at("/sockets/2/error").asText()).isEqualTo("Connection refused");
        assertThat(report.at("/jvm/startTime").asText()).isEqualTo("2023-11-14T22:13:20.000Z");
        assertThat(report.at("/warnings/0/type").asText()).isEqualTo("FIXED_PORT_IN_EPHEMERAL_RANGE");
        assertThat(report.at("/agent/options/stack").asText()).isEqualTo("8");
    }

    @Test
    void anEmptyReportFollowsTheSchema() throws IOException {
        JsonNode report = JSON.readTree(JsonReport.toJson(header, registry.snapshot(), "jmx"));

        assertThat(schema().validate(report)).isEmpty();
        assertThat(report.get("sockets")).isEmpty();
    }

    @Test
    void timesAreIsoUtcWithMillisecondsEvenOnAWholeSecond() {
        assertThat(JsonReport.iso(0)).isEqualTo("1970-01-01T00:00:00.000Z");
    }

    static JsonSchema schema() throws IOException {
        Path file = projectRoot().resolve("src/schema/portagent-report-1.schema.json");
        try (InputStream in = Files.newInputStream(file)) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        }
    }

    private static Path projectRoot() {
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("src/schema"))) {
            dir = dir.getParent();
        }
        return dir;
    }
}
