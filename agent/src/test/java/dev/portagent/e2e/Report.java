package dev.portagent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portagent.proc.ProcSocket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** A report a child JVM wrote, read as a plain JSON tree: the test trusts none of the agent's classes. */
public record Report(JsonNode json) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Reads the report; a file that is missing or not JSON fails the test. */
    public static Report read(Path file) {
        assertThat(file).as("report file").isRegularFile();
        try {
            return new Report(MAPPER.readTree(file.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("the report " + file + " is not valid JSON", e);
        }
    }

    public List<JsonNode> sockets() {
        List<JsonNode> all = new ArrayList<>();
        json.path("sockets").forEach(all::add);
        return all;
    }

    public List<JsonNode> open() {
        return sockets().stream().filter(s -> s.path("state").asText().equals("open")).toList();
    }

    public List<JsonNode> closed() {
        return sockets().stream().filter(s -> s.path("state").asText().equals("closed")).toList();
    }

    public long summary(String counter) {
        JsonNode value = json.path("summary").path(counter);
        assertThat(value.isIntegralNumber()).as("summary.%s in %s", counter, json.path("summary")).isTrue();
        return value.asLong();
    }

    /**
     * What the kernel and the report must agree on for an open socket: protocol, family, local address
     * and port, and the peer. Addresses are compared as the kernel holds them, so "::ffff:127.0.0.1" in
     * the report equals 127.0.0.1 on a tcp6 line.
     */
    public static String kernelView(JsonNode socket) {
        JsonNode remote = socket.path("remoteAddress");
        return kernelView(socket.path("protocol").asText(), socket.path("family").asText(),
                parse(socket.path("localAddress").asText()), socket.path("localPort").asInt(),
                remote.isNull() ? null : parse(remote.asText()), socket.path("remotePort").asInt());
    }

    public static String kernelView(ProcSocket s) {
        return kernelView(s.protocol(), s.family(), s.localAddress(), s.localPort(),
                s.remotePort() == 0 ? null : s.remoteAddress(), s.remotePort());
    }

    private static String kernelView(String protocol, String family, InetAddress local, int localPort,
                                     InetAddress remote, int remotePort) {
        return protocol + " " + family + " " + local.getHostAddress() + " " + localPort + " -> "
                + (remote == null ? "none" : remote.getHostAddress() + " " + remotePort);
    }

    private static InetAddress parse(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no name lookup
        } catch (UnknownHostException e) {
            throw new AssertionError("not an address literal: " + literal, e);
        }
    }

    /** One record per line, for assertion messages. */
    public static String describe(List<JsonNode> sockets) {
        return sockets.stream().map(Report::describe).collect(Collectors.joining("\n"));
    }

    public static String describe(JsonNode s) {
        return "  #" + s.path("id").asText() + " " + s.path("protocol").asText() + " " + s.path("role").asText()
                + " " + s.path("family").asText() + " " + s.path("localAddress").asText() + ":" + s.path("localPort")
                + " -> " + s.path("remoteAddress").asText() + ":" + s.path("remotePort") + " requested "
                + s.path("requestedPort") + " ephemeral " + s.path("ephemeral") + " " + s.path("state").asText()
                + " thread " + s.path("thread").asText() + (s.path("virtual").asBoolean() ? " (virtual)" : "")
                + " at " + s.path("site").asText();
    }
}
