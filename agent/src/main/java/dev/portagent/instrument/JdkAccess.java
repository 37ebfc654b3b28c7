package dev.portagent.instrument;

import dev.portagent.registry.JdkSockets;
import java.io.FileDescriptor;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketImpl;
import java.util.Map;
import java.util.Set;

/** The few JDK internals the recorder reads, opened to the agent once through Instrumentation. */
final class JdkAccess implements JdkSockets {

    // Static finals so that the JIT treats the handles as constants on the socket path. Initialised only
    // after the constructor has opened the packages.
    private static final class Handles {
        // getsockname(2): the port the kernel chose, for bind(0) and the implicit bind of connect.
        static final MethodHandle LOCAL_ADDRESS;
        static final boolean IPV6_AVAILABLE;
        // NioSocketImpl keeps its fd in a private field of its own; SocketImpl's protected fields hold
        // the peer of an accepted socket.
        static final VarHandle IMPL_FD;
        static final VarHandle IMPL_ADDRESS;
        static final VarHandle IMPL_PORT;
        static final MethodHandle FD_VAL;

        static {
            try {
                MethodHandles.Lookup self = MethodHandles.lookup();
                Class<?> net = Class.forName("sun.nio.ch.Net");
                MethodHandles.Lookup inNet = MethodHandles.privateLookupIn(net, self);
                LOCAL_ADDRESS = inNet.findStatic(net, "localAddress",
                        MethodType.methodType(InetSocketAddress.class, FileDescriptor.class));
                IPV6_AVAILABLE = (boolean) inNet.findStatic(net, "isIPv6Available",
                        MethodType.methodType(boolean.class)).invokeExact();
                Class<?> nioImpl = Class.forName("sun.nio.ch.NioSocketImpl");
                IMPL_FD = MethodHandles.privateLookupIn(nioImpl, self).findVarHandle(nioImpl, "fd", FileDescriptor.class);
                MethodHandles.Lookup inImpl = MethodHandles.privateLookupIn(SocketImpl.class, self);
                IMPL_ADDRESS = inImpl.findVarHandle(SocketImpl.class, "address", InetAddress.class);
                IMPL_PORT = inImpl.findVarHandle(SocketImpl.class, "port", int.class);
                Class<?> ioUtil = Class.forName("sun.nio.ch.IOUtil");
                FD_VAL = MethodHandles.privateLookupIn(ioUtil, self).findStatic(ioUtil, "fdVal",
                        MethodType.methodType(int.class, FileDescriptor.class));
            } catch (Throwable t) {
                throw new ExceptionInInitializerError(t);
            }
        }
    }

    JdkAccess(Instrumentation inst) {
        Module agent = JdkAccess.class.getModule();
        inst.redefineModule(Object.class.getModule(), Set.of(), Map.of(),
                Map.of("sun.nio.ch", Set.of(agent), "java.net", Set.of(agent)), Set.of(), Map.of());
        if (Handles.LOCAL_ADDRESS == null) {
            throw new IllegalStateException("sun.nio.ch.Net.localAddress not found");
        }
    }

    @Override
    public InetSocketAddress localAddress(FileDescriptor fd) {
        try {
            return (InetSocketAddress) Handles.LOCAL_ADDRESS.invokeExact(fd);
        } catch (Throwable t) {
            return null;
        }
    }

    @Override
    public boolean ipv6Available() {
        return Handles.IPV6_AVAILABLE;
    }

    @Override
    public FileDescriptor implFd(Object socketImpl) {
        return (FileDescriptor) Handles.IMPL_FD.get(socketImpl);
    }

    @Override
    public int fdVal(FileDescriptor fd) {
        try {
            return (int) Handles.FD_VAL.invokeExact(fd);
        } catch (Throwable t) {
            return -1;
        }
    }

    @Override
    public InetSocketAddress implRemote(Object socketImpl) {
        InetAddress address = (InetAddress) Handles.IMPL_ADDRESS.get((SocketImpl) socketImpl);
        return address == null ? null : new InetSocketAddress(address, (int) Handles.IMPL_PORT.get((SocketImpl) socketImpl));
    }
}
