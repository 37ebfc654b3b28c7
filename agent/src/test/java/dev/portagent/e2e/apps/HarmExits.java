package dev.portagent.e2e.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Child application for the exit tests: listens on an ephemeral port, says which, and ends the way its
 * arguments ask, with the listener still open: {@code return} from main, {@code exit N} through
 * System.exit, or {@code throw} an uncaught exception. A leading {@code wait} first waits for a line on
 * stdin, which leaves time for a signal.
 */
public final class HarmExits {

    // Reachable to the end: after main returns, a GC during shutdown would otherwise let the Cleaner
    // close it before the report is made (and the report would rightly say closed).
    private static ServerSocket listener;

    public static void main(String[] args) throws Exception {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        System.out.println("PORT " + listener.getLocalPort());
        if (args[0].equals("wait")) {
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            args = Arrays.copyOfRange(args, 1, args.length);
        }
        switch (args[0]) {
            case "return" -> {
            }
            case "exit" -> System.exit(Integer.parseInt(args[1]));
            case "throw" -> throw new IllegalStateException("HarmExits fails on purpose");
            default -> throw new IllegalArgumentException("unknown way to end: " + args[0]);
        }
    }
}
