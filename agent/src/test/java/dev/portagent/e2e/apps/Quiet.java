package dev.portagent.e2e.apps;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.ServerSocket;

/**
 * Child program of ExitIT: an application that prints nothing. It holds a TCP listener and a UDP
 * socket until a byte (or the end) of stdin, then returns from main, or until a signal ends it.
 */
public final class Quiet {

    // Never closed, and reachable to the end: once main returns, a GC during shutdown would otherwise
    // let the Cleaner close them before the report is made (and the report would rightly say closed).
    private static ServerSocket listener;
    private static DatagramSocket udp;

    public static void main(String[] args) throws IOException {
        listener = new ServerSocket(0);
        udp = new DatagramSocket();
        System.in.read();
    }
}
