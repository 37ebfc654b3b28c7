package dev.portagent.e2e.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;

/**
 * Child application for the memory test: binds and closes N UDP channels from one line of code, then
 * on each line "heap" from stdin collects garbage and prints the heap still in use; EOF ends it.
 */
public final class HarmChurn {

    public static void main(String[] args) throws Exception {
        int count = Integer.parseInt(args[0]);
        InetSocketAddress anyPort = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        for (int i = 0; i < count; i++) {
            DatagramChannel.open().bind(anyPort).close();
        }
        System.out.println("CHURNED " + count);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.equals("heap")) {
                System.out.println("HEAP " + retainedHeap());
            }
        }
    }

    /**
     * Heap in use after full collections: with the serial collector, what is still reachable. The least
     * of samples spread over two seconds, so that a periodic report the agent happens to be writing
     * (a snapshot of the whole history, garbage a moment later) is not counted as retained.
     */
    private static long retainedHeap() throws InterruptedException {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 8; i++) {
            System.gc();
            least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            Thread.sleep(250);
        }
        return least;
    }
}
