package dev.portagent.bench;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The start-up workload. {@code hello} prints a line and exits; {@code socket} also opens a loopback
 * listener and connects to it, so that the agent has to instrument the JDK's socket classes, which is
 * what a real application makes it do; {@code classes} starts the platform MBean server, logging and
 * an XML parser, about 1,200 more JDK classes, each of which passes the agent's class file transformer,
 * as the classes of a real application do; {@code classes socket} does both, in that order, as an
 * application whose first socket comes after its own start-up.
 */
public final class Hello {

    private Hello() {
    }

    public static void main(String[] args) throws Exception {
        java.util.List<String> work = java.util.List.of(args);
        if (work.contains("classes")) {
            java.lang.management.ManagementFactory.getPlatformMBeanServer();
            java.util.logging.Logger.getLogger(Hello.class.getName()).fine("hello");
            javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder();
            if (!work.contains("socket")) {
                System.out.println("hello");
                return;
            }
        }
        if (work.contains("socket")) {
            try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                 Socket client = new Socket(server.getInetAddress(), server.getLocalPort());
                 Socket accepted = server.accept()) {
                System.out.println("hello " + accepted.getPort());
            }
            return;
        }
        System.out.println("hello");
    }
}
