package dev.portagent.instrument;

import dev.portagent.registry.JdkSockets;
import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketImpl;
import java.util.Map;

/** The few JDK internals the recorder reads, through handles that {@link InsideJdk} made. */
final class JdkAccess implements JdkSockets {

    // Static finals so that the JIT treats the handles as constants on the socket path. Initialised at
    // the first use, by the first socket: looking them up in premain would load sun.nio.ch.Net there
    // and make every start weave it, socket or not.
    private static final class Handles {
        // getsockname(2): the port the kernel chose, where the JDK does not read it itself (a connect in
        // progress or failed) or its answer never came. This is the woven Net.localAddress, so the
        // recorder hears its own question answered too: harmless, a waiting record completes once.
        static final MethodHandle LOCAL_ADDRESS;
        static final boolean IPV6_AVAILABLE;
        // NioSocketImpl keeps its fd in a private field of its own; SocketImpl's protected fields hold
        // the peer of an accepted socket.
        static final VarHandle IMPL_FD;
        static final VarHandle IMPL_ADDRESS;
        static final VarHandle IMPL_PORT;
        static final VarHandle FD_VAL;

        static {
            try {
                Map<String, Object> handles = PrivateLoader.made().socketHandles();
                LOCAL_ADDRESS = (MethodHandle) handles.get("localAddress");
                IPV6_AVAILABLE = (Boolean) handles.get("ipv6Available");
                IMPL_FD = (VarHandle) handles.get("implFd");
                IMPL_ADDRESS = (VarHandle) handles.get("implAddress");
                IMPL_PORT = (VarHandle) handles.get("implPort");
                FD_VAL = (VarHandle) handles.get("fdVal");
            } catch (Throwable t) {
                throw new ExceptionInInitializerError(t);
            }
        }
    }

    JdkAccess(Instrumentation inst) throws IOException, ReflectiveOperationException {
        // Only the private loader, which is cheap; the handles wait for the first socket.
        PrivateLoader.of(inst);
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
            return (int) Handles.FD_VAL.get(fd);
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
