package dev.portagent.e2e.apps;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child program of ManySocketsIT. First {@code THREADS} threads each open and close sockets in
 * {@code PER_THREAD} rounds (a UDP bind, a TCP listener, or a TCP connection with its accepted end),
 * keeping one in a thousand open; then the main thread opens and holds {@code held} more (args[0]).
 * It prints what it did, as "COUNTS binds=.. connects=.. accepts=.. closed=..", then "READY", and exits
 * on "exit".
 */
public final class ManySockets {

    static final int THREADS = 8;
    static final int PER_THREAD = 10_000;
    private static final InetAddress V4 = InetAddress.getLoopbackAddress();

    private static final List<Object> held = new ArrayList<>();
    private static final AtomicLong binds = new AtomicLong();
    private static final AtomicLong connects = new AtomicLong();
    private static final AtomicLong accepts = new AtomicLong();
    private static final AtomicLong closed = new AtomicLong();

    public static void main(String[] args) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<List<Object>>> churned = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            churned.add(pool.submit((Callable<List<Object>>) ManySockets::churn));
        }
        for (Future<List<Object>> kept : churned) {
            held.addAll(kept.get());
        }
        pool.shutdown();

        hold(Integer.parseInt(args[0]));

        System.out.println("COUNTS binds=" + binds + " connects=" + connects + " accepts=" + accepts
                + " closed=" + closed);
        System.out.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && !line.equals("exit"); ) {
            // only "exit" ends the program
        }
        System.exit(0);
    }

    /** Opens and closes PER_THREAD sockets on this thread; returns the ones it keeps. */
    private static List<Object> churn() throws IOException {
        List<Object> kept = new ArrayList<>();
        ServerSocket listener = new ServerSocket(0, 50, V4);
        binds.incrementAndGet();
        kept.add(listener);
        for (int i = 1; i <= PER_THREAD; i++) {
            if (i % 1000 == 0) {
                kept.add(new DatagramSocket());
                binds.incrementAndGet();
                continue;
            }
            // A loopback connection costs the kernel a handshake, ten times a bind: one round in ten.
            switch (i % 10) {
                case 0, 2, 4, 6, 8 -> {
                    new DatagramSocket().close();
                    binds.incrementAndGet();
                    closed.incrementAndGet();
                }
                case 1, 3, 5, 7 -> {
                    new ServerSocket(0).close();
                    binds.incrementAndGet();
                    closed.incrementAndGet();
                }
                default -> {
                    Socket client = new Socket(V4, listener.getLocalPort());
                    Socket accepted = listener.accept();
                    // A reset instead of a FIN: no TIME_WAIT, so 80 000 sockets leave the port range free.
                    client.setSoLinger(true, 0);
                    client.close();
                    accepted.close();
                    connects.incrementAndGet();
                    accepts.incrementAndGet();
                    closed.addAndGet(2);
                }
            }
        }
        return kept;
    }

    /** Half UDP sockets, half TCP connections (both ends, so a quarter are connects and a quarter accepts). */
    private static void hold(int count) {
        try {
            ServerSocket listener = new ServerSocket(0, 50, V4);
            binds.incrementAndGet();
            held.add(listener);
            for (int i = 0; i < count / 2; i++) {
                held.add(new DatagramSocket());
                binds.incrementAndGet();
            }
            for (int i = 0; i < count / 4; i++) {
                held.add(new Socket(V4, listener.getLocalPort()));
                held.add(listener.accept());
                connects.incrementAndGet();
                accepts.incrementAndGet();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
