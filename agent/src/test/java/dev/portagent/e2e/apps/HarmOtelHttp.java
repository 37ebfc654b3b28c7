package dev.portagent.e2e.apps;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * Child application for the coexistence test with the OpenTelemetry agent: an HTTP server that answers
 * with the W3C traceparent header it received, and a java.net.http client that calls it. The header is
 * there only when OpenTelemetry instruments the client, which proves that agent works beside ours.
 */
public final class HarmOtelHttp {

    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String traceparent = exchange.getRequestHeaders().getFirst("traceparent");
            byte[] body = String.valueOf(traceparent).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        int port = server.getAddress().getPort();
        System.out.println("PORT " + port);
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> response = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        System.out.println("STATUS " + response.statusCode());
        System.out.println("TRACEPARENT " + response.body());
        server.stop(0);
    }
}
