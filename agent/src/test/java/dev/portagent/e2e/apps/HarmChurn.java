package dev.portagent.e2e.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;

/**
 * Child application for the memory test: binds and closes N UDP channels from one line of code, says
 * how many milliseconds that took, then on each line "heap N" from stdin collects garbage and prints the heap still in use; "exit" or EOF ends it.
 */
public final class HarmChurn {

    public static void main(String[] args) throws Exception {
        int count = Integer.parseInt(args[0]);
        InetSocketAddress anyPort = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            DatagramChannel.open().bind(anyPort).close();
        }
        System.out.println("CHURNED " + count + " " + (System.nanoTime() - start) / 1_000_000);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && !line.equals("exit"); ) {
            if (line.startsWith("heap ")) {
                System.out.println("HEAP " + line.substring(5) + " " + retainedHeap());
            }
        }
    }

    /** Heap in use after full collections: with the serial collector, what is still reachable. */
    private static long retainedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
