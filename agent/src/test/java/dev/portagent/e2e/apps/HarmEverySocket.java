package dev.portagent.e2e.apps;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Child application for the do-no-harm test: moves data through every kind of socket the agent hooks
 * and prints one line per kind that worked, the same lines whatever the agent does. Any failure is
 * an uncaught exception: exit code 1 and a stack trace.
 */
public final class HarmEverySocket {

    /** What a healthy run prints, in order. */
    public static final List<String> EXPECTED = List.of(
            "socket echo 1",
            "datagram-socket echo 2",
            "multicast-socket echo 3",
            "socket-channel echo 4",
            "non-blocking socket-channel echo 5",
            "datagram-channel echo 6",
            "unbound datagram-channel echo 7",
            "async socket-channel echo 8",
            "http-client body hello",
            "refused connect ConnectException",
            "close while blocked AsynchronousCloseException",
            "unix-domain echo 9",
            "ALL OK");

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    public static void main(String[] args) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
             Socket client = new Socket(LOOPBACK, server.getLocalPort());
             Socket accepted = server.accept()) {
            client.getOutputStream().write(1);
            System.out.println("socket echo " + accepted.getInputStream().read());
        }
        try (DatagramSocket a = new DatagramSocket(0, LOOPBACK); DatagramSocket b = new DatagramSocket()) {
            System.out.println("datagram-socket echo " + udpRoundTrip(b, a, 2));
        }
        try (MulticastSocket a = new MulticastSocket(new InetSocketAddress(LOOPBACK, 0));
             DatagramSocket b = new DatagramSocket()) {
            System.out.println("multicast-socket echo " + udpRoundTrip(b, a, 3));
        }
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             SocketChannel client = SocketChannel.open(server.getLocalAddress());
             SocketChannel accepted = server.accept()) {
            client.write(ByteBuffer.wrap(new byte[] {4}));
            System.out.println("socket-channel echo " + readByte(accepted));
        }
        nonBlockingConnect();
        try (DatagramChannel a = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             DatagramChannel b = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0))) {
            b.connect(a.getLocalAddress());
            b.write(ByteBuffer.wrap(new byte[] {6}));
            ByteBuffer in = ByteBuffer.allocate(1);
            a.receive(in);
            System.out.println("datagram-channel echo " + in.get(0));
        }
        try (DatagramChannel a = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             DatagramChannel unbound = DatagramChannel.open()) {
            // The first send binds the channel implicitly.
            unbound.send(ByteBuffer.wrap(new byte[] {7}), a.getLocalAddress());
            ByteBuffer in = ByteBuffer.allocate(1);
            a.receive(in);
            System.out.println("unbound datagram-channel echo " + in.get(0));
        }
        try (AsynchronousServerSocketChannel server = AsynchronousServerSocketChannel.open()
                .bind(new InetSocketAddress(LOOPBACK, 0));
             AsynchronousSocketChannel client = AsynchronousSocketChannel.open()) {
            Future<AsynchronousSocketChannel> accepting = server.accept();
            client.connect(server.getLocalAddress()).get(30, TimeUnit.SECONDS);
            try (AsynchronousSocketChannel accepted = accepting.get(30, TimeUnit.SECONDS)) {
                client.write(ByteBuffer.wrap(new byte[] {8})).get(30, TimeUnit.SECONDS);
                ByteBuffer in = ByteBuffer.allocate(1);
                accepted.read(in).get(30, TimeUnit.SECONDS);
                System.out.println("async socket-channel echo " + in.get(0));
            }
        }
        httpClient();
        refusedConnect();
        closeWhileBlocked();
        unixDomain();
        System.out.println("ALL OK");
    }

    private static int udpRoundTrip(DatagramSocket from, DatagramSocket to, int value) throws IOException {
        from.send(new DatagramPacket(new byte[] {(byte) value}, 1, to.getLocalSocketAddress()));
        DatagramPacket in = new DatagramPacket(new byte[1], 1);
        to.receive(in);
        return in.getData()[0];
    }

    private static int readByte(SocketChannel channel) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(1);
        while (in.hasRemaining()) {
            if (channel.read(in) < 0) {
                throw new IOException("closed before a byte arrived");
            }
        }
        return in.get(0);
    }

    private static void nonBlockingConnect() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             SocketChannel client = SocketChannel.open();
             Selector selector = Selector.open()) {
            client.configureBlocking(false);
            if (!client.connect(server.getLocalAddress())) {
                client.register(selector, SelectionKey.OP_CONNECT);
                while (!client.finishConnect()) {
                    selector.select();
                }
            }
            // Still non-blocking and registered: a one-byte write to an empty socket buffer completes at once.
            try (SocketChannel accepted = server.accept()) {
                client.write(ByteBuffer.wrap(new byte[] {5}));
                System.out.println("non-blocking socket-channel echo " + readByte(accepted));
            }
        }
    }

    private static void httpClient() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            System.out.println("http-client body " + response.body());
        } finally {
            server.stop(0);
        }
    }

    private static void refusedConnect() throws IOException {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, LOOPBACK)) {
            closedPort = probe.getLocalPort();
        }
        try (Socket socket = new Socket(LOOPBACK, closedPort)) {
            throw new IllegalStateException("connected to a closed port " + closedPort);
        } catch (ConnectException expected) {
            System.out.println("refused connect " + expected.getClass().getSimpleName());
        }
    }

    /** The close that must release a thread blocked in receive: the JDK's preClose path. */
    private static void closeWhileBlocked() throws Exception {
        DatagramChannel channel = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                channel.receive(ByteBuffer.allocate(1));
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        }, "blocked-reader");
        reader.start();
        // Closed before the receive began, it would be a ClosedChannelException: another path.
        while (!blockedInReceive(reader)) {
            Thread.onSpinWait();
        }
        channel.close();
        Throwable t = outcome.get(30, TimeUnit.SECONDS);
        System.out.println("close while blocked " + (t == null ? "nothing" : t.getClass().getSimpleName()));
        if (!(t instanceof AsynchronousCloseException)) {
            throw new IllegalStateException("the blocked receive ended with " + t, t);
        }
    }

    /** In native code (the recv or the poll that waits for it) beneath DatagramChannel.receive. */
    private static boolean blockedInReceive(Thread reader) {
        StackTraceElement[] frames = reader.getStackTrace();
        if (frames.length == 0 || !frames[0].isNativeMethod()) {
            return false;
        }
        for (StackTraceElement frame : frames) {
            if (frame.getClassName().equals("sun.nio.ch.DatagramChannelImpl") && frame.getMethodName().equals("receive")) {
                return true;
            }
        }
        return false;
    }

    private static void unixDomain() throws IOException {
        Path dir = Files.createTempDirectory("harm-uds");
        SocketAddress address = UnixDomainSocketAddress.of(dir.resolve("s"));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address);
             SocketChannel client = SocketChannel.open(address);
             SocketChannel accepted = server.accept()) {
            client.write(ByteBuffer.wrap(new byte[] {9}));
            System.out.println("unix-domain echo " + readByte(accepted));
        } finally {
            Files.deleteIfExists(dir.resolve("s"));
            Files.delete(dir);
        }
    }
}
