package dev.portagent.e2e.apps;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;

/** Child application for the harness self-test: listens, says where, and exits 3 on a line of input. */
public final class ReadyServer {

    public static void main(String[] args) throws IOException {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("SHUTDOWN")));
        try (ServerSocket server = new ServerSocket(0)) {
            System.err.println("ERR " + server.getLocalPort());
            System.out.println("READY " + server.getLocalPort());
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
        System.exit(3);
    }
}
