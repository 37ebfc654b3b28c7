package dev.portagent.e2e.harm;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** Reads the JSON reports the child JVMs write, failing with the text when one is not valid JSON. */
final class Reports {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Reports() {
    }

    static JsonNode read(Path report) {
        String text;
        try {
            text = Files.readString(report);
        } catch (IOException e) {
            throw new AssertionError("cannot read the report " + report, e);
        }
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("the report " + report + " is not valid JSON: " + e.getMessage()
                    + "\n" + text.substring(0, Math.min(text.length(), 2000)), e);
        }
    }

    /**
     * Waits for a report (a periodic one, for a child that keeps running) that satisfies {@code done}.
     * Every version read must be valid JSON: the agent replaces the file atomically.
     */
    static JsonNode awaitReport(Path report, Duration timeout, Predicate<JsonNode> done) {
        JsonNode[] last = new JsonNode[1];
        await("a report at " + report + " that is complete").atMost(timeout).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    if (!Files.exists(report)) {
                        return false;
                    }
                    last[0] = read(report);
                    return done.test(last[0]);
                });
        return last[0];
    }

    static List<JsonNode> sockets(JsonNode report) {
        List<JsonNode> sockets = new ArrayList<>();
        report.get("sockets").forEach(sockets::add);
        return sockets;
    }

    /** The one socket of this protocol and role on this local port. */
    static Optional<JsonNode> socket(JsonNode report, String protocol, String role, int localPort) {
        List<JsonNode> matching = sockets(report).stream()
                .filter(s -> s.get("protocol").asText().equals(protocol) && s.get("role").asText().equals(role)
                        && s.get("localPort").asInt() == localPort)
                .collect(Collectors.toList());
        if (matching.size() > 1) {
            throw new AssertionError(matching.size() + " " + protocol + " " + role + " sockets on port " + localPort
                    + ": " + matching);
        }
        return matching.stream().findFirst();
    }

    static long summary(JsonNode report, String counter) {
        return report.get("summary").get(counter).asLong();
    }

    static List<String> warningTypes(JsonNode report) {
        List<String> types = new ArrayList<>();
        report.get("warnings").forEach(w -> types.add(w.get("type").asText()));
        return types;
    }
}
