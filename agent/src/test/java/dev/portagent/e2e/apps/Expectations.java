package dev.portagent.e2e.apps;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a child program knows it opened, told to the test as one stdout line per socket:
 * {@code EXPECT<TAB>key=value<TAB>...}, the keys being the report's field names. A key ending in
 * "StartsWith" asks for a prefix of that field. The test matches every report record to exactly one
 * line, so a record nobody expected fails it as much as a missing one.
 *
 * <p>Tracked sockets are held here, so that no Cleaner closes them before the report is written.
 */
public final class Expectations {

    /** A socket the code bound without asking for a port. */
    public static final int ANY_PORT = 0;

    private static final Method IS_VIRTUAL = isVirtualMethod();

    private final List<Expect> all = new ArrayList<>();
    private final Map<Object, Expect> held = new IdentityHashMap<>();
    private final int ephemeralLow;
    private final int ephemeralHigh;

    public Expectations() {
        int[] range = ephemeralRange();
        ephemeralLow = range[0];
        ephemeralHigh = range[1];
    }

    /** One expected record; fields are added in the report's terms. */
    public static final class Expect {
        private final Map<String, String> fields = new LinkedHashMap<>();

        private Expect(String label) {
            fields.put("label", label);
        }

        public Expect with(String field, Object value) {
            fields.put(field, String.valueOf(value));
            return this;
        }

        public Expect without(String field) {
            fields.remove(field);
            return this;
        }

        public Expect closed() {
            return with("state", "closed");
        }

        String line() {
            StringBuilder line = new StringBuilder("EXPECT");
            fields.forEach((k, v) -> line.append('\t').append(k).append('=').append(v));
            return line.toString();
        }
    }

    /** Caller's line, as the report's site names it. Where an API returns nothing, call it on that API's line. */
    public static String here() {
        return format(new Throwable().getStackTrace()[1]);
    }

    /** The line of the child program that made the JDK throw {@code t}. */
    public static String siteOf(Throwable t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().startsWith(Expectations.class.getPackageName() + ".")) {
                return format(e);
            }
        }
        throw new IllegalArgumentException("no frame of the child program in " + t);
    }

    private static String format(StackTraceElement e) {
        return e.getClassName() + "." + e.getMethodName() + "(" + e.getFileName() + ":" + e.getLineNumber() + ")";
    }

    public <T> T listen(T socket, int requestedPort, String site) {
        return hold(socket, describe(socket, "listen", requestedPort, site));
    }

    public <T> T bind(T socket, int requestedPort, String site) {
        return hold(socket, describe(socket, "bind", requestedPort, site));
    }

    /** A connect that bound the socket implicitly. */
    public <T> T connect(T socket, String site) {
        return connect(socket, ANY_PORT, site);
    }

    /** A socket bound first, then connected: the site is the bind's. */
    public <T> T connect(T socket, int requestedPort, String site) {
        return hold(socket, describe(socket, "connect", requestedPort, site));
    }

    public <T> T accept(T socket, String site) {
        return hold(socket, describe(socket, "accept", ANY_PORT, site));
    }

    /** A record not tied to a socket this program holds; add fields with {@link Expect#with}. */
    public synchronized Expect expect(String label) {
        Expect e = new Expect(label);
        all.add(e);
        return e;
    }

    /** Expects a record for {@code socket} without holding it, for a socket that is meant to be collected. */
    public Expect describe(Object socket, String role, int requestedPort, String site) {
        InetSocketAddress local = local(socket);
        InetSocketAddress remote = remote(socket);
        boolean udp = socket instanceof DatagramSocket || socket instanceof DatagramChannel;
        Expect e = expect(socket.getClass().getSimpleName() + " " + role)
                .with("protocol", udp ? "udp" : "tcp")
                .with("role", role)
                .with("localPort", local.getPort())
                .with("remotePort", remote == null ? null : remote.getPort())
                .with("requestedPort", requestedPort)
                .with("ephemeral", requestedPort == ANY_PORT && !role.equals("accept"));
        return onThisThread(e.with("inEphemeralRange", inEphemeralRange(local.getPort())).with("state", "open")
                .with("site", site));
    }

    /** The thread that opened the socket is the one running now. */
    public static Expect onThisThread(Expect e) {
        return e.with("thread", Thread.currentThread().getName()).with("virtual", isVirtual(Thread.currentThread()));
    }

    private boolean inEphemeralRange(int port) {
        return port >= ephemeralLow && port <= ephemeralHigh;
    }

    public int ephemeralLow() {
        return ephemeralLow;
    }

    public int ephemeralHigh() {
        return ephemeralHigh;
    }

    /** Holds {@code socket} open until exit, as the one {@code e} describes. */
    public synchronized <T> T hold(T socket, Expect e) {
        held.put(socket, e);
        return socket;
    }

    /** Closes a tracked socket: its record must say closed. */
    public void close(Closeable socket) throws IOException {
        socket.close();
        closedElsewhere(socket);
    }

    /** A tracked socket that something else closed (another thread, a selector, a failed call). */
    public synchronized void closedElsewhere(Object socket) {
        Expect e = held.get(socket);
        if (e == null) {
            throw new IllegalArgumentException("not tracked: " + socket);
        }
        e.closed();
    }

    public synchronized void print() {
        all.forEach(e -> System.out.println(e.line()));
    }

    static InetSocketAddress local(Object s) {
        SocketAddress a;
        if (s instanceof Socket socket) {
            a = socket.getLocalSocketAddress();
        } else if (s instanceof ServerSocket socket) {
            a = socket.getLocalSocketAddress();
        } else if (s instanceof DatagramSocket socket) {
            a = socket.getLocalSocketAddress();
        } else if (s instanceof NetworkChannel channel) {
            try {
                a = channel.getLocalAddress();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            throw new IllegalArgumentException("not a socket: " + s);
        }
        if (!(a instanceof InetSocketAddress inet)) {
            throw new IllegalStateException("not bound to an INET address: " + s);
        }
        return inet;
    }

    static InetSocketAddress remote(Object s) {
        try {
            SocketAddress a = null;
            if (s instanceof Socket socket) {
                a = socket.getRemoteSocketAddress();
            } else if (s instanceof DatagramSocket socket) {
                a = socket.getRemoteSocketAddress();
            } else if (s instanceof SocketChannel channel) {
                a = channel.getRemoteAddress();
            } else if (s instanceof DatagramChannel channel) {
                a = channel.getRemoteAddress();
            } else if (s instanceof AsynchronousSocketChannel channel) {
                a = channel.getRemoteAddress();
            }
            return (InetSocketAddress) a;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean isVirtual(Thread t) {
        try {
            return IS_VIRTUAL != null && (boolean) IS_VIRTUAL.invoke(t);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Method isVirtualMethod() {
        try {
            return Thread.class.getMethod("isVirtual");
        } catch (NoSuchMethodException e) {
            return null; // JDK 17-20: no virtual threads
        }
    }

    /** Reads in one go: a sysctl file answers a read that does not start at offset 0 with nothing, and Files.readString reads one byte first. */
    static String readProc(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** The kernel's range, which the agent reads too: the test compares both with the OS, not with each other. */
    private static int[] ephemeralRange() {
        try {
            String[] parts = readProc(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
