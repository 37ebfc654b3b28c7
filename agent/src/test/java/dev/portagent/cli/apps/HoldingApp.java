package dev.portagent.cli.apps;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.InputStreamReader;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds a TCP listener and a UDP socket from the start, then does what stdin says: "open" a listener,
 * "close-before" the first listener, "exit". Every socket stays referenced: a Cleaner must not close it.
 */
public final class HoldingApp {

    private static final List<Closeable> OPENED = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        ServerSocket tcp = new ServerSocket(0);
        DatagramSocket udp = new DatagramSocket();
        OPENED.add(udp); // reachable from a static field, not only from this frame
        say("ready pid=" + ProcessHandle.current().pid() + " tcp=" + tcp.getLocalPort() + " udp=" + udp.getLocalPort());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            switch (line) {
                case "open" -> open();
                case "close-before" -> {
                    tcp.close();
                    say("closed");
                }
                case "exit" -> System.exit(0);
                default -> say("unknown " + line);
            }
        }
    }

    private static void open() throws Exception {
        int line = callerLine(); ServerSocket s = new ServerSocket(0); // both on one line: the site the test expects
        OPENED.add(s);
        say("opened tcp=" + s.getLocalPort() + " site=" + HoldingApp.class.getName() + ".open(HoldingApp.java:" + line + ")");
    }

    private static int callerLine() {
        return new Throwable().getStackTrace()[1].getLineNumber();
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
