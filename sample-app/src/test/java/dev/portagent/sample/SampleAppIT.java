package dev.portagent.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, for real: the packaged sample app with the packaged agent. */
class SampleAppIT {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path dir;

    @Test
    void theReportTellsTheSampleAppsStoryAndFollowsTheSchema() throws Exception {
        Path report = dir.resolve("ports.json");
        Path summary = dir.resolve("summary.txt");

        Run run = runSampleApp("report=" + report + ",summary=" + summary);

        assertThat(run.exit).as(run.stderr).isZero();
        assertThat(run.stdout).contains("try: jconsole").contains("ports " + run.pid);
        assertThat(run.stderr).as("the agent prints nothing unless asked").isEmpty();
        JsonNode json = new ObjectMapper().readTree(report.toFile());
        try (InputStream schema = Files.newInputStream(Path.of(System.getProperty("schema")))) {
            assertThat(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema).validate(json)).isEmpty();
        }
        List<String> sites = new ArrayList<>();
        json.get("sites").forEach(site -> sites.add(site.get("site").asText()));
        for (String part : List.of("EphemeralListener.start", "FixedPortInEphemeralRange.start", "ChurningClient.request",
                "UdpSender.send", "LeakyConnections.leak", "AsyncChannelPair.start")) {
            assertThat(sites).as("a site in " + part).anyMatch(site -> site.startsWith("dev.portagent.sample." + part + "("));
        }
        assertThat(StreamSupport.stream(json.get("sockets").spliterator(), false)
                .filter(s -> s.get("site").asText().contains("LeakyConnections.leak") && s.get("state").asText().equals("open")))
                .as("the leaked connections are still open at exit").hasSize(3);
        assertThat(json.get("warnings").toString()).contains("FIXED_PORT_IN_EPHEMERAL_RANGE");
        assertThat(Files.readString(summary)).contains("still open, by site").contains("LeakyConnections.leak")
                .contains("ChurningClient.request");
    }

    @Test
    void theHtmlReportRendersOfflineInABrowser() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "skipped: no /usr/bin/chromium (apt-get install chromium; .ci/run does)");
        Path report = dir.resolve("ports.html");

        Run run = runSampleApp("report=" + report);
        assertThat(run.exit).as(run.stderr).isZero();

        Process chromium = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + dir.resolve("chromium-profile"), "--dump-dom", report.toUri().toString())
                .redirectError(dir.resolve("chromium.err").toFile()).start();
        String dom = new String(chromium.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(chromium.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(dom).contains("Ports of pid " + run.pid).contains("Open ports over time").contains("<polyline")
                .contains("Sites, by ports allocated").contains("dev.portagent.sample.LeakyConnections.leak")
                .contains("FIXED_PORT_IN_EPHEMERAL_RANGE").doesNotContain("<script");
    }

    private record Run(int exit, long pid, String stdout, String stderr) {
    }

    private Run runSampleApp(String options) throws IOException, InterruptedException {
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-javaagent:" + System.getProperty("portagent.jar") + "=" + options,
                "-jar", System.getProperty("sample.jar"), "--seconds", "2")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        return new Run(p.exitValue(), p.pid(), Files.readString(out), Files.readString(err));
    }
}
