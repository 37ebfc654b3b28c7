package dev.portagent.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** The JDK HttpClient keeps its connection and reuses it: one ephemeral port for many requests. */
final class PooledHttpClient {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final URI uri;

    PooledHttpClient(URI uri) {
        this.uri = uri;
    }

    void get() throws IOException, InterruptedException {
        client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding());
    }
}
