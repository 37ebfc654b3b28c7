package dev.portagent.e2e.apps;

import static dev.portagent.e2e.apps.Expectations.ANY_PORT;
import static dev.portagent.e2e.apps.Expectations.here;
import static dev.portagent.e2e.apps.Expectations.siteOf;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.ByteBuffer;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * Child program of EveryApiIT: opens sockets through every API the agent must see, closes some of them
 * in each way a socket can be closed, and holds the rest. It prints what the report must say
 * ({@link Expectations}), then "READY", and exits on the line "exit" without closing anything more,
 * so that the report and the test's reading of /proc see the same sockets.
 *
 * <p>Where an API call returns nothing, {@code here()} shares its line: the report's site names it.
 */
public final class EveryApi {

    private static final InetAddress V4 = address("127.0.0.1");
    private static final Expectations track = new Expectations();
    private static final FreePorts freePorts = new FreePorts(track);
    /** Holders of sockets that Expectations does not track; unreachable, their sockets would be closed. */
    private static final List<Object> HELD = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        try {
            openAll();
        } catch (Throwable t) {
            // Netty's and the HTTP server's threads would keep a failed program alive until the test's timeout.
            t.printStackTrace();
            System.exit(1);
        }
        track.print();
        System.out.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && !line.equals("exit"); ) {
            // only "exit" ends the program
        }
        // Without closing anything: the report at exit must find what /proc found.
        System.exit(0);
    }

    private static void openAll() throws Exception {
        socketsAndServerSockets();
        datagramSockets();
        socketChannels();
        datagramChannels();
        asynchronousChannels();
        httpClient();
        NettyEndpoints.open(track, V4);
        closedInEveryWay();
        if (Runtime.version().feature() >= 21) {
            fromVirtualThreads();
        }
        if (ipv6Loopback()) {
            ipv6();
        } else {
            System.out.println("NOTE no IPv6 loopback: ::1 not tested");
        }
        unixDomainSockets();
    }

    private static void socketsAndServerSockets() throws IOException {
        ServerSocket listener = track.listen(new ServerSocket(0), ANY_PORT, here());
        int fixedPort = freePorts.outsideEphemeralRange();
        track.listen(new ServerSocket(fixedPort), fixedPort, here());
        int inRange = freePorts.insideEphemeralRange();
        track.listen(new ServerSocket(inRange), inRange, here());
        ServerSocket nullBound = new ServerSocket();
        nullBound.bind(null); track.listen(nullBound, ANY_PORT, here());

        track.connect(new Socket(V4, listener.getLocalPort()), here());
        track.accept(listener.accept(), here());

        Socket boundFirst = new Socket();
        boundFirst.bind(null); String bindSite = here();
        boundFirst.connect(listener.getLocalSocketAddress());
        track.connect(boundFirst, ANY_PORT, bindSite);
        track.accept(listener.accept(), here());

        int clientPort = freePorts.outsideEphemeralRange();
        Socket fixedClient = new Socket();
        fixedClient.bind(new InetSocketAddress(clientPort)); String fixedBindSite = here();
        fixedClient.connect(listener.getLocalSocketAddress());
        track.connect(fixedClient, clientPort, fixedBindSite);
        track.accept(listener.accept(), here());

        // Bound, neither listening nor connected: in the report, not in /proc/net/tcp. Nothing listens
        // on its port, so a connect to it is refused.
        Socket parked = new Socket();
        parked.bind(new InetSocketAddress(V4, 0)); track.bind(parked, ANY_PORT, here());
        try {
            new Socket(V4, parked.getLocalPort()).close();
            throw new IllegalStateException("connect to a port nobody listens on succeeded");
        } catch (ConnectException refused) {
            expectRefused(refused, parked.getLocalPort());
        }
        // With a timeout the JDK connects without blocking and polls: the refusal may come after connect returned.
        try (Socket timed = new Socket()) {
            timed.connect(new InetSocketAddress(V4, parked.getLocalPort()), 60_000);
            throw new IllegalStateException("connect to a port nobody listens on succeeded");
        } catch (ConnectException refused) {
            expectRefused(refused, parked.getLocalPort());
        }
    }

    private static void expectRefused(ConnectException refused, int port) {
        Expectations.onThisThread(track.expect("refused connect").with("protocol", "tcp").with("role", "connect")
                .with("remotePort", port).with("requestedPort", 0).with("ephemeral", true)
                .with("site", siteOf(refused)).closed());
    }

    private static void datagramSockets() throws IOException {
        DatagramSocket udp = track.bind(new DatagramSocket(), ANY_PORT, here());
        int fixedPort = freePorts.outsideEphemeralRange();
        track.bind(new DatagramSocket(fixedPort), fixedPort, here());

        DatagramSocket unbound = new DatagramSocket(null);
        DatagramPacket packet = new DatagramPacket(new byte[] {1}, 1, loopback(udp.getLocalSocketAddress()));
        unbound.send(packet); track.bind(unbound, ANY_PORT, here());

        DatagramSocket connected = new DatagramSocket(); String site = here();
        connected.connect(loopback(udp.getLocalSocketAddress()));
        track.connect(connected, site);

        track.bind(new MulticastSocket(), ANY_PORT, here());
        int multicastPort = freePorts.outsideEphemeralRange();
        track.bind(new MulticastSocket(multicastPort), multicastPort, here());
    }

    private static void socketChannels() throws IOException {
        int fixedPort = freePorts.outsideEphemeralRange();
        InetSocketAddress fixedAddress = new InetSocketAddress(V4, fixedPort);
        ServerSocketChannel fixed = track.listen(ServerSocketChannel.open().bind(fixedAddress), fixedPort, here());
        ServerSocketChannel anyPort = track.listen(ServerSocketChannel.open().bind(null), ANY_PORT, here());

        track.connect(SocketChannel.open(fixed.getLocalAddress()), here());
        track.accept(fixed.accept(), here());

        // The port is the kernel's from the moment connect returns, before finishConnect.
        SocketChannel nonBlocking = SocketChannel.open();
        nonBlocking.configureBlocking(false);
        boolean connectedAtOnce = nonBlocking.connect(anyPort.getLocalAddress()); String connectSite = here();
        if (!connectedAtOnce) {
            try (Selector selector = Selector.open()) {
                nonBlocking.register(selector, SelectionKey.OP_CONNECT);
                while (!nonBlocking.finishConnect()) {
                    selector.select();
                }
            }
        }
        System.out.println("NOTE non-blocking connect " + (connectedAtOnce ? "completed at once" : "was in progress"));
        track.connect(nonBlocking, connectSite);
        track.accept(anyPort.accept(), here());

        ServerSocketChannel ipv4Only = ServerSocketChannel.open(StandardProtocolFamily.INET);
        ipv4Only.bind(new InetSocketAddress(V4, 0)); track.listen(ipv4Only, ANY_PORT, here());
        SocketChannel ipv4Client = SocketChannel.open(StandardProtocolFamily.INET);
        ipv4Client.connect(ipv4Only.getLocalAddress()); track.connect(ipv4Client, here());
        track.accept(ipv4Only.accept(), here());
    }

    private static void datagramChannels() throws IOException {
        DatagramChannel bound = track.bind(DatagramChannel.open().bind(null), ANY_PORT, here());
        InetSocketAddress boundAddress = loopback(bound.getLocalAddress());
        int fixedPort = freePorts.outsideEphemeralRange();
        track.bind(DatagramChannel.open().bind(new InetSocketAddress(fixedPort)), fixedPort, here());

        DatagramChannel sender = DatagramChannel.open();
        sender.send(ByteBuffer.wrap(new byte[] {1}), boundAddress); track.bind(sender, ANY_PORT, here());

        DatagramChannel receiver = DatagramChannel.open();
        receiver.configureBlocking(false);
        receiver.receive(ByteBuffer.allocate(1)); track.bind(receiver, ANY_PORT, here());

        track.connect(DatagramChannel.open().connect(boundAddress), here());
        // To the wildcard address, which Linux takes for the loopback address
        track.connect(DatagramChannel.open().connect(bound.getLocalAddress()), here());
        // disconnect keeps the port and forgets the peer
        track.bind(DatagramChannel.open().connect(boundAddress).disconnect(), ANY_PORT, here());

        InetSocketAddress v4AnyPort = new InetSocketAddress(V4, 0);
        track.bind(DatagramChannel.open(StandardProtocolFamily.INET).bind(v4AnyPort), ANY_PORT, here());
    }

    private static void asynchronousChannels() throws Exception {
        var listener = track.listen(AsynchronousServerSocketChannel.open().bind(null), ANY_PORT, here());
        InetSocketAddress listenerAddress = loopback(listener.getLocalAddress());

        // Connected before accept() is called: the accept completes at once, on this thread.
        AsynchronousSocketChannel client = AsynchronousSocketChannel.open();
        client.connect(listenerAddress).get(); track.connect(client, here());
        track.accept(listener.accept().get(), here());

        track.close(client);

        // accept() before the connection arrives completes on a thread of the channel group. The client
        // connects to the listener's wildcard address, which Linux takes for the loopback address.
        Future<AsynchronousSocketChannel> pending = listener.accept();
        AsynchronousSocketChannel lateClient = AsynchronousSocketChannel.open();
        lateClient.connect(listener.getLocalAddress()).get(); track.connect(lateClient, here());
        AsynchronousSocketChannel accepted = pending.get();
        track.hold(accepted, track.describe(accepted, "accept", ANY_PORT, null)
                .without("thread").without("virtual").without("site").with("siteStartsWith", "sun.nio.ch."));
    }

    private static void httpClient() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(V4, 0), 0); String serverSite = here();
        server.createContext("/", exchange -> {
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        int port = server.getAddress().getPort();
        Expectations.onThisThread(track.expect("HttpServer").with("protocol", "tcp").with("role", "listen")
                .with("localPort", port).with("ephemeral", true).with("state", "open").with("site", serverSite));

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build();
        HttpResponse<String> response = client.send(request, BodyHandlers.ofString()); String clientSite = here();
        if (!response.body().equals("ok")) {
            throw new IllegalStateException("unexpected response " + response.body());
        }
        // The client keeps its connection for the next request.
        track.expect("HttpClient connection").with("protocol", "tcp").with("role", "connect")
                .with("remotePort", port).with("ephemeral", true).with("state", "open").with("site", clientSite);
        // No application frame on the server's thread: the site names the JDK's server.
        track.expect("HttpServer connection").with("protocol", "tcp").with("role", "accept")
                .with("localPort", port).with("ephemeral", false).with("state", "open")
                .with("siteStartsWith", "sun.net.httpserver.");
        HELD.add(client);
        HELD.add(server);
    }

    private static void closedInEveryWay() throws Exception {
        ServerSocket listener = track.listen(new ServerSocket(0, 50, V4), ANY_PORT, here());
        SocketAddress listenerAddress = listener.getLocalSocketAddress();

        track.close(track.connect(new Socket(V4, listener.getLocalPort()), here()));
        track.close(track.accept(listener.accept(), here()));
        track.close(track.bind(new DatagramSocket(), ANY_PORT, here()));
        track.close(track.listen(ServerSocketChannel.open().bind(null), ANY_PORT, here()));
        track.close(track.bind(DatagramChannel.open().bind(null), ANY_PORT, here()));
        track.close(track.listen(AsynchronousServerSocketChannel.open().bind(null), ANY_PORT, here()));
        track.close(track.bind(new MulticastSocket(), ANY_PORT, here()));

        closedByTheCleaner(listener);

        // Closed while another thread is blocked in accept, or in read: the JDK's preClose releases the
        // port, and the blocked thread closes the fd as it leaves.
        ServerSocket blockedListener = track.listen(new ServerSocket(0), ANY_PORT, here());
        closeUnder(blockedListener, blockedIn("accept", false, () -> blockedListener.accept().close()));
        SocketChannel reader = track.connect(SocketChannel.open(listenerAddress), here());
        Socket writer = track.accept(listener.accept(), here());
        closeUnder(reader, blockedIn("read", false, () -> reader.read(ByteBuffer.allocate(1))));
        track.close(writer);

        // Closed while registered with a selector: the selector's thread releases the fd when it
        // deregisters the key, after close() has returned.
        SocketChannel registered = track.connect(SocketChannel.open(listenerAddress), here());
        track.accept(listener.accept(), here());
        registered.configureBlocking(false);
        Selector selector = Selector.open();
        registered.register(selector, SelectionKey.OP_READ);
        CountDownLatch deregistered = new CountDownLatch(1);
        Thread selectorThread = new Thread(() -> {
            try {
                do {
                    selector.select();
                } while (registered.isRegistered());
                deregistered.countDown();
            } catch (IOException e) {
                e.printStackTrace();
            }
        }, "selector");
        selectorThread.start();
        track.close(registered);
        selector.wakeup();
        deregistered.await();
    }

    /** A connected Socket that nobody closes: the Cleaner closes it once it is unreachable. */
    private static void closedByTheCleaner(ServerSocket listener) throws IOException {
        forgetSocket(listener.getLocalPort());
        Socket peer = track.accept(listener.accept(), here());
        peer.setSoTimeout(100);
        InputStream in = peer.getInputStream();
        for (int gc = 1; ; gc++) {
            System.gc();
            try {
                if (in.read() < 0) {
                    break; // the Cleaner closed it: the peer sees the end of the stream
                }
            } catch (SocketTimeoutException stillOpen) {
                if (gc == 600) {
                    throw new IllegalStateException("the Cleaner did not close the forgotten socket in 600 GCs");
                }
            }
        }
        track.close(peer);
    }

    /** Connects a socket and keeps no reference to it. */
    private static void forgetSocket(int listenerPort) throws IOException {
        track.describe(new Socket(V4, listenerPort), "connect", ANY_PORT, here()).closed();
    }

    /**
     * Closes {@code socket} while {@code blocked} is in its blocking call. On JDK 17 the blocked thread
     * is suspended first, so it never leaves the JDK's code to close the fd: the kernel has released
     * the port by preClose alone, and the report must say closed all the same. Thread.suspend fails
     * from JDK 20 on; there the thread leaves and closes the fd.
     */
    private static void closeUnder(Closeable socket, Thread blocked) throws Exception {
        boolean suspended = Runtime.version().feature() < 20;
        if (suspended) {
            Thread.class.getMethod("suspend").invoke(blocked);
        }
        track.close(socket);
        if (!suspended) {
            blocked.join();
        }
    }

    private interface BlockingCall {
        void run() throws IOException;
    }

    /** A thread blocked in {@code call} until a close makes it throw. */
    private static Thread blockedIn(String what, boolean virtual, BlockingCall call) throws Exception {
        Runnable body = () -> {
            try {
                call.run();
                throw new IllegalStateException(what + " returned though nobody connected or wrote");
            } catch (IOException expected) {
                // the close this thread waits for
            }
        };
        Thread t;
        if (virtual) {
            t = startVirtual("virtual-blocked-in-" + what, body);
        } else {
            t = new Thread(body, "blocked-in-" + what);
            t.start();
        }
        awaitBlocked(t);
        return t;
    }

    /**
     * The blocking system calls themselves. Not any native sun.nio.ch frame: the JDK calls
     * NativeThread.current() while it holds the socket's state lock, and a thread suspended there
     * (closeUnder, JDK 17) makes the close wait for that lock for ever.
     */
    private static final Set<String> BLOCKING_CALLS = Set.of(
            "sun.nio.ch.Net.accept", "sun.nio.ch.Net.poll",
            "sun.nio.ch.SocketDispatcher.read0", "sun.nio.ch.SocketDispatcher.readv0");

    /**
     * The thread is inside the JDK's blocking call: a platform thread in the system call (a close now
     * takes the preClose path), a virtual thread parked until its socket is ready.
     */
    private static void awaitBlocked(Thread t) {
        while (true) {
            StackTraceElement[] stack = t.getStackTrace();
            if (stack.length > 0 && stack[0].isNativeMethod()
                    && BLOCKING_CALLS.contains(stack[0].getClassName() + "." + stack[0].getMethodName())) {
                return;
            }
            if (t.getState() == Thread.State.WAITING && Arrays.stream(stack).anyMatch(
                    e -> e.getClassName().startsWith("sun.nio.ch.") && e.getMethodName().equals("park"))) {
                return;
            }
            if (!t.isAlive()) {
                throw new IllegalStateException(t.getName() + " ended before it blocked");
            }
            Thread.onSpinWait();
        }
    }

    /** JDK 21+: connect and accept on a virtual thread, and a close while one is blocked in read. */
    private static void fromVirtualThreads() throws Exception {
        ServerSocket listener = track.listen(new ServerSocket(0), ANY_PORT, here());
        FutureTask<Socket> connectAndAccept = new FutureTask<>(() -> {
            Socket client = track.connect(new Socket(V4, listener.getLocalPort()), here());
            track.accept(listener.accept(), here());
            return client;
        });
        startVirtual("portagent-virtual", connectAndAccept);
        Socket client = connectAndAccept.get();

        // No preClose for a virtual thread: it is parked, not in a system call, and releases the fd as it leaves.
        Thread reader = blockedIn("read", true, () -> client.getInputStream().read());
        track.close(client);
        reader.join();
    }

    /** Through reflection, so that this compiles for 17. */
    private static Thread startVirtual(String name, Runnable body) throws ReflectiveOperationException {
        Class<?> builderType = Class.forName("java.lang.Thread$Builder");
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        builder = builderType.getMethod("name", String.class).invoke(builder, name);
        return (Thread) builderType.getMethod("start", Runnable.class).invoke(builder, body);
    }

    /** Asks the kernel rather than a socket: a probe socket would be one more record. */
    private static boolean ipv6Loopback() throws IOException {
        Path interfaces = Path.of("/proc/net/if_inet6");
        return Files.exists(interfaces) && Expectations.readProc(interfaces).lines()
                .anyMatch(line -> line.startsWith("00000000000000000000000000000001 "));
    }

    private static void ipv6() throws IOException {
        InetAddress v6 = InetAddress.getByName("::1");
        ServerSocket listener = track.listen(new ServerSocket(0, 50, v6), ANY_PORT, here());
        track.connect(new Socket(v6, listener.getLocalPort()), here());
        track.accept(listener.accept(), here());
        InetSocketAddress v6AnyPort = new InetSocketAddress(v6, 0);
        track.bind(DatagramChannel.open(StandardProtocolFamily.INET6).bind(v6AnyPort), ANY_PORT, here());
    }

    /** Not INET ports: the report must have no record of them, open or closed. */
    private static void unixDomainSockets() throws IOException {
        Path dir = Files.createTempDirectory("portagent-uds");
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("socket"));
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address);
        SocketChannel client = SocketChannel.open(address);
        SocketChannel accepted = listener.accept();
        client.close();
        accepted.close();
        HELD.add(listener);
        HELD.add(SocketChannel.open(address));
        HELD.add(listener.accept());
        Files.delete(address.getPath());
        Files.delete(dir);
    }

    /** Where to reach a socket bound to the wildcard address, as most code would. */
    private static InetSocketAddress loopback(SocketAddress bound) {
        return new InetSocketAddress(V4, ((InetSocketAddress) bound).getPort());
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
