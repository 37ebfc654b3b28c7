package dev.portagent.jmx.apps;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A child application for the end-to-end tests, driven line by line on stdin; it answers each command
 * with one line on stdout. Uses nothing but the JDK.
 */
public final class PortsApp {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final List<Socket> clients = new ArrayList<>();
    private static final List<Socket> accepted = new ArrayList<>();
    private static final List<ServerSocket> fixed = new ArrayList<>(); // held, so each "fixed" takes a new port

    public static void main(String[] args) throws Exception {
        ServerSocket listener = new ServerSocket(0, 1000, LOOPBACK);
        System.out.println("ready " + listener.getLocalPort());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] words = line.trim().split(" ");
            switch (words[0]) {
                case "connect" -> {
                    int n = Integer.parseInt(words[1]);
                    for (int i = 0; i < n; i++) {
                        clients.add(new Socket(LOOPBACK, listener.getLocalPort()));
                        accepted.add(listener.accept());
                    }
                    System.out.println("connected " + clients.size());
                }
                case "close" -> {
                    for (Socket s : clients) {
                        s.close();
                    }
                    for (Socket s : accepted) {
                        s.close();
                    }
                    System.out.println("closed " + clients.size());
                    clients.clear();
                    accepted.clear();
                }
                case "fixed" -> {
                    fixed.add(bindInEphemeralRange());
                    System.out.println("fixed " + fixed.get(fixed.size() - 1).getLocalPort());
                }
                case "exit" -> {
                    System.out.println("bye");
                    return;
                }
                default -> System.out.println("unknown " + line);
            }
        }
    }

    /** A listener on a fixed port inside the ephemeral range: the mistake portagent warns about. */
    private static ServerSocket bindInEphemeralRange() throws IOException {
        // Not Files.readString: a sysctl file reports size 0 and answers a read past offset 0 with EOF.
        String[] range;
        try (InputStream in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            range = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+");
        }
        int high = Integer.parseInt(range[1]);
        for (int port = high; port > high - 200; port--) {
            ServerSocket s = new ServerSocket();
            try {
                s.bind(new InetSocketAddress(LOOPBACK, port));
                return s;
            } catch (IOException inUse) {
                s.close();
            }
        }
        throw new IOException("no free port near the top of the ephemeral range");
    }
}
