package dev.portagent.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.Jdk;
import dev.portagent.jmx.apps.PortsApp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Prometheus JMX exporter agent and portagent in one JVM, with the rules file we ship: a scrape
 * of /metrics on loopback shows portagent's counters and its listening ports, and no client port.
 */
class PrometheusExporterIT {

    static final Path RULES = Path.of(System.getProperty("portagent.prometheusRules",
            "../src/prometheus/portagent-rules.yml"));
    private static final Pattern SAMPLE = Pattern.compile("^(portagent_\\w+)(?:\\{(.*)\\})? (\\S+)$");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void theExporterScrapesPortagentsCountersAndListeningPorts(Jdk jdk) throws Exception {
        jdk.assumePresent();
        int metricsPort = freePort();
        // portagent first: it then also records the exporter's own HTTP port.
        try (ChildJvm child = ChildJvm.on(jdk).directory(dir)
                .jvmArgs("-javaagent:" + ChildJvm.agentJar(), exporterAgent(metricsPort, RULES))
                .classpath(ChildJvm.testClasspath()).mainClass(PortsApp.class).start()) {
            int appPort = Integer.parseInt(child.nextLine("^ready (\\d+)$", BareJmx.PATIENCE).group(1));
            child.send("connect 3");
            child.nextLine("^connected \\d+$", BareJmx.PATIENCE);

            HttpClient http = HttpClient.newHttpClient();
            HttpRequest scrape = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build();
            Map<String, String> samples = new TreeMap<>();
            await().atMost(BareJmx.PATIENCE).ignoreExceptions().until(() -> {
                samples.clear();
                samples.putAll(samples(http.send(scrape, HttpResponse.BodyHandlers.ofString()).body()));
                return samples.containsKey("portagent_open_sockets");
            });

            assertThat(samples.get("portagent_listening_port_sockets{port=\"" + appPort + "\",protocol=\"tcp\"}"))
                    .isEqualTo("1.0");
            assertThat(samples.get("portagent_listening_port_connections{port=\"" + appPort + "\",protocol=\"tcp\"}"))
                    .isEqualTo("3.0");
            assertThat(samples.get("portagent_listening_port_sockets{port=\"" + metricsPort + "\",protocol=\"tcp\"}"))
                    .as("the exporter's own port").isEqualTo("1.0");
            assertThat(samples).containsKeys("portagent_listening_port_in_ephemeral_range{port=\"" + appPort
                    + "\",protocol=\"tcp\"}");
            Set<String> ports = samples.keySet().stream().filter(k -> k.startsWith("portagent_listening_port_"))
                    .map(k -> k.replaceAll(".*port=\"(\\d+)\".*", "$1")).collect(Collectors.toSet());
            assertThat(ports).as("listening ports only, no client port").containsExactlyInAnyOrder(
                    String.valueOf(appPort), String.valueOf(metricsPort));

            assertThat(Double.parseDouble(samples.get("portagent_open_sockets"))).isGreaterThanOrEqualTo(8);
            assertThat(Double.parseDouble(samples.get("portagent_connects_total"))).isGreaterThanOrEqualTo(3);
            assertThat(Double.parseDouble(samples.get("portagent_accepts_total"))).isGreaterThanOrEqualTo(3);
            assertThat(samples).containsKeys("portagent_binds_total", "portagent_closes_total",
                    "portagent_ephemeral_allocated_total", "portagent_open_ephemeral_sockets",
                    "portagent_ephemeral_range_low", "portagent_ephemeral_range_high",
                    "portagent_ephemeral_pressure_percent");

            child.send("exit");
            assertThat(child.awaitExit(BareJmx.PATIENCE)).as(child::describe).isZero();
        }
    }

    /** Sample name with labels -> value, portagent's samples only. */
    static Map<String, String> samples(String exposition) {
        Map<String, String> samples = new TreeMap<>();
        for (String line : exposition.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (m.matches()) {
                samples.put(m.group(1) + (m.group(2) == null ? "" : "{" + m.group(2) + "}"), m.group(3));
            }
        }
        return samples;
    }

    static String exporterAgent(int port, Path rules) {
        Path jar = ChildJvm.libs("jmx_prometheus_javaagent-").get(0);
        return "-javaagent:" + jar.toAbsolutePath() + "=127.0.0.1:" + port + ":" + rules.toAbsolutePath();
    }

    /** A port free now; the child binds it a moment later, which is good enough on a test machine. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
