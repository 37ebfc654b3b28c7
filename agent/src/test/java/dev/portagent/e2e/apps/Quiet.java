package dev.portagent.e2e.apps;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.ServerSocket;

/**
 * Child program of ExitIT: an application that prints nothing. It holds a TCP listener and a UDP
 * socket until a byte (or the end) of stdin, then returns from main, or until a signal ends it.
 */
public final class Quiet {

    public static void main(String[] args) throws IOException {
        // Never closed: the report at exit must find both open, however the JVM ends.
        ServerSocket listener = new ServerSocket(0);
        DatagramSocket udp = new DatagramSocket();
        System.in.read();
    }
}
