package dev.portagent.instrument;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketImpl;
import java.security.ProtectionDomain;
import java.util.Map;

/**
 * The agent's only code with access to JDK internals. It is loaded by {@link PrivateLoader} alone,
 * whose unnamed module is the one the internals are exported and opened to, and so it may use java.*
 * only: that loader sees no other class.
 */
public final class InsideJdk {

    private InsideJdk() {
    }

    /**
     * jdk.internal.misc.Unsafe.defineClass with a null loader, unchanged in 17, 21 and 25. Through an
     * exact method handle, not Method.invoke: on JDK 18+ reflection adapts a six-argument call with
     * method-handle classes it spins first, tens of milliseconds of start-up.
     */
    public static Class<?> defineInBootLoader(String name, byte[] bytes) throws ReflectiveOperationException {
        Class<?> unsafeClass = Class.forName("jdk.internal.misc.Unsafe");
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        try {
            Object unsafe = lookup.findStatic(unsafeClass, "getUnsafe", MethodType.methodType(unsafeClass))
                    .asType(MethodType.methodType(Object.class)).invokeExact();
            MethodHandle define = lookup.findVirtual(unsafeClass, "defineClass", MethodType.methodType(Class.class,
                    String.class, byte[].class, int.class, int.class, ClassLoader.class, ProtectionDomain.class));
            return (Class<?>) define.bindTo(unsafe).invokeExact(name, bytes, 0, bytes.length, (ClassLoader) null,
                    (ProtectionDomain) null);
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t); // neither method declares a checked exception
        }
    }

    /**
     * Handles on what the recorder reads: getsockname(2) through Net.localAddress, whether the JDK
     * makes IPv6 sockets, NioSocketImpl's own fd field and SocketImpl's peer fields. Invoking a handle
     * checks no access, so the agent can use them where it is.
     */
    public static Map<String, Object> socketHandles() throws ReflectiveOperationException {
        MethodHandles.Lookup self = MethodHandles.lookup();
        Class<?> net = Class.forName("sun.nio.ch.Net");
        MethodHandles.Lookup inNet = MethodHandles.privateLookupIn(net, self);
        Class<?> nioImpl = Class.forName("sun.nio.ch.NioSocketImpl");
        // The int fd, to match a socket with /proc/self/fd.
        Class<?> ioUtil = Class.forName("sun.nio.ch.IOUtil");
        MethodHandles.Lookup inImpl = MethodHandles.privateLookupIn(SocketImpl.class, self);
        try {
            return Map.of(
                    "localAddress", inNet.findStatic(net, "localAddress",
                            MethodType.methodType(InetSocketAddress.class, FileDescriptor.class)),
                    "ipv6Available", (boolean) inNet.findStatic(net, "isIPv6Available",
                            MethodType.methodType(boolean.class)).invokeExact(),
                    "implFd", MethodHandles.privateLookupIn(nioImpl, self).findVarHandle(nioImpl, "fd", FileDescriptor.class),
                    "implAddress", inImpl.findVarHandle(SocketImpl.class, "address", InetAddress.class),
                    "implPort", inImpl.findVarHandle(SocketImpl.class, "port", int.class),
                    "fdVal", MethodHandles.privateLookupIn(ioUtil, self).findStatic(ioUtil, "fdVal",
                            MethodType.methodType(int.class, FileDescriptor.class)));
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t); // isIPv6Available declares nothing
        }
    }

    /**
     * Throwable's private backtrace field: the JVM's own record of the frames (JDK 17 to 25, not an API;
     * see RawStackKey), which lets the digester recognise a call path without building its frames.
     */
    public static VarHandle backtraceHandle() throws ReflectiveOperationException {
        return MethodHandles.privateLookupIn(Throwable.class, MethodHandles.lookup())
                .findVarHandle(Throwable.class, "backtrace", Object.class);
    }

    /**
     * The attach mechanism's agent properties: the channel the JDK's own agents use to tell tools what
     * they are (JDWP's address, the local JMX connector). The application never sees them.
     */
    public static java.util.Properties agentProperties() throws ReflectiveOperationException {
        return (java.util.Properties) Class.forName("jdk.internal.vm.VMSupport").getMethod("getAgentProperties").invoke(null);
    }
}
