package dev.portagent.instrument;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.reflect.UndeclaredThrowableException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketImpl;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import jdk.internal.misc.Unsafe;
import jdk.internal.vm.VMSupport;

/**
 * The agent's only code with access to JDK internals. It is loaded by {@link PrivateLoader} alone,
 * whose unnamed module is the one the internals are exported and opened to, and so it may use java.*
 * only: that loader sees no other class. The agent calls it through the java.util.function interfaces
 * it implements, plain interface calls: a method handle or reflective call on it would spin
 * method-handle classes in premain, milliseconds each.
 *
 * <p>It is compiled apart, with jdk.internal.misc and jdk.internal.vm exported to the compiler (see
 * the agent's pom), so that it calls them directly: at run time those packages are exported to this
 * loader's module only.
 */
public final class InsideJdk implements BiFunction<String, byte[], Class<?>>, IntFunction<Object> {

    public InsideJdk() {
    }

    /** Defines a class in the boot loader; the agent calls it for its two bootstrap classes. */
    @Override
    public Class<?> apply(String name, byte[] bytes) {
        // jdk.internal.misc.Unsafe.defineClass with a null loader, unchanged in 17, 21 and 25: the one way
        // to define a class in the boot loader without appending a jar to its search path.
        return Unsafe.getUnsafe().defineClass(name, bytes, 0, bytes.length, null, null);
    }

    /**
     * One of the lookups below, by PrivateLoader's number for it (an IntFunction: a Function would clash
     * with BiFunction's andThen); a ReflectiveOperationException comes wrapped, unchecked.
     */
    @Override
    public Object apply(int what) {
        try {
            switch (what) {
                case 0:
                    return socketHandles();
                case 1:
                    return backtraceHandle();
                case 2:
                    // The attach mechanism's agent properties: the channel the JDK's own agents use to tell
                    // tools what they are (JDWP's address, the local JMX connector). The application never sees them.
                    return VMSupport.getAgentProperties();
                default:
                    throw new IllegalArgumentException("no lookup " + what);
            }
        } catch (ReflectiveOperationException e) {
            throw new UndeclaredThrowableException(e);
        }
    }

    /**
     * Handles on what the recorder reads: getsockname(2) through Net.localAddress, whether the JDK
     * makes IPv6 sockets, NioSocketImpl's own fd field and SocketImpl's peer fields. Invoking a handle
     * checks no access, so the agent can use them where it is.
     */
    private static Map<String, Object> socketHandles() throws ReflectiveOperationException {
        MethodHandles.Lookup self = MethodHandles.lookup();
        Class<?> net = Class.forName("sun.nio.ch.Net");
        MethodHandles.Lookup inNet = MethodHandles.privateLookupIn(net, self);
        Class<?> nioImpl = Class.forName("sun.nio.ch.NioSocketImpl");
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
                    // The int fd, which places a socket in the registry and matches it with /proc/self/fd: the
                    // field IOUtil.fdVal reads, read without its JNI call (IOUtil.fdVal is native on 17 and 25).
                    "fdVal", MethodHandles.privateLookupIn(FileDescriptor.class, self)
                            .findVarHandle(FileDescriptor.class, "fd", int.class));
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
    private static VarHandle backtraceHandle() throws ReflectiveOperationException {
        return MethodHandles.privateLookupIn(Throwable.class, MethodHandles.lookup())
                .findVarHandle(Throwable.class, "backtrace", Object.class);
    }
}
