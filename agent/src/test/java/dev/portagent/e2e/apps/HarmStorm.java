package dev.portagent.e2e.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child application for the concurrency test: THREADS threads open and close SOCKETS sockets in total,
 * every fifth a TCP connect to one listener (accepted and closed by an acceptor thread), the rest UDP
 * binds; all start together to collide in the agent. Prints what it did, then holds the listener until
 * a line on stdin.
 */
public final class HarmStorm {

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        int sockets = Integer.parseInt(args[1]);
        int perThread = sockets / threads;
        InetAddress loopback = InetAddress.getLoopbackAddress();
        AtomicLong binds = new AtomicLong();
        AtomicLong connects = new AtomicLong();
        AtomicLong accepts = new AtomicLong();
        AtomicLong closed = new AtomicLong();
        List<Throwable> failures = new ArrayList<>();

        ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress(loopback, 0), 4096);
        binds.incrementAndGet();
        // Not one accept per connect: with the accept queue full, Linux can drop a client's last handshake
        // ACK, and a client that then closes at once (a reset) is never accepted (seen once: 10000 connects,
        // 9999 accepts, an acceptor waiting for ever). The acceptor takes what comes until the workers are
        // done, then what is still queued.
        listener.configureBlocking(false);
        Selector selector = Selector.open();
        listener.register(selector, SelectionKey.OP_ACCEPT);
        AtomicBoolean workersDone = new AtomicBoolean();
        Thread acceptor = new Thread(() -> {
            try {
                for (boolean last = false; !last; ) {
                    // Once the workers are done, everything left is queued already: one last drain.
                    last = workersDone.get();
                    if (!last) {
                        selector.select();
                        selector.selectedKeys().clear();
                    }
                    for (SocketChannel accepted; (accepted = listener.accept()) != null; ) {
                        accepts.incrementAndGet();
                        accepted.close();
                        closed.incrementAndGet();
                    }
                }
            } catch (Throwable t) {
                synchronized (failures) {
                    failures.add(t);
                }
            }
        }, "acceptor");
        acceptor.start();

        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        if (i % 5 == 0) {
                            try (SocketChannel client = SocketChannel.open()) {
                                // A reset instead of a FIN: no TIME_WAIT, so the test does not use up
                                // the ephemeral ports that other processes on the machine need.
                                client.setOption(StandardSocketOptions.SO_LINGER, 0);
                                client.connect(listener.getLocalAddress());
                                connects.incrementAndGet();
                            }
                        } else {
                            try (DatagramChannel udp = DatagramChannel.open()) {
                                udp.bind(new InetSocketAddress(loopback, 0));
                                binds.incrementAndGet();
                            }
                        }
                        closed.incrementAndGet();
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }, "storm-" + t);
            worker.start();
            workers.add(worker);
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        workersDone.set(true);
        selector.wakeup();
        acceptor.join();
        if (!failures.isEmpty()) {
            failures.get(0).printStackTrace();
            System.exit(1);
        }
        System.out.println("DONE binds=" + binds + " connects=" + connects + " accepts=" + accepts + " closed=" + closed
                + " port=" + ((InetSocketAddress) listener.getLocalAddress()).getPort());
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        listener.close();
    }
}
