package dev.portagent.bench;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;

/** The JMX workload's target: holds N open UDP sockets, says {@code ready}, and waits for stdin to close. */
public final class JmxTarget {

    private JmxTarget() {
    }

    public static void main(String[] args) throws Exception {
        int n = Math.min(Integer.parseInt(args[0]), MemoryWork.fdLimit() - 200);
        List<DatagramChannel> open = new ArrayList<>(n);
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int i = 0; i < n; i++) {
            open.add(DatagramChannel.open().bind(new InetSocketAddress(loopback, 0)));
        }
        System.out.println("ready " + open.size());
        System.out.flush();
        while (System.in.read() != -1) {
            // the parent closes stdin when it is done
        }
        for (DatagramChannel c : open) {
            c.close();
        }
    }
}
