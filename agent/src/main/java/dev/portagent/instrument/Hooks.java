package dev.portagent.instrument;

import dev.portagent.bootstrap.PortHooks;
import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketImpl;
import net.bytebuddy.asm.Advice;

/**
 * The advice inlined into java.base. Each method calls one {@link PortHooks} hook and nothing else:
 * the inlined code can only see classes of the boot loader. {@code suppress = Throwable.class} is a
 * second fence behind the hooks' own catch, so even a hook that cannot link leaves the JDK method as
 * it was.
 */
final class Hooks {

    private Hooks() {
    }

    // Net.socket(ProtocolFamily, boolean) creates every TCP client and UDP socket on 17, 21 and 25. Only
    // UDP is announced: a later bind cannot otherwise tell it from TCP.
    static final class NetSocketAdvice {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Argument(0) ProtocolFamily family, @Advice.Argument(1) boolean stream,
                         @Advice.Return FileDescriptor fd) {
            if (!stream) {
                PortHooks.created(family, fd, true, false);
            }
        }
    }

    // Net.serverSocket(ProtocolFamily[, boolean]) creates the fd of ServerSocket, ServerSocketChannel and
    // AsynchronousServerSocketChannel; its bind is followed by listen(), so the record's role is listen.
    static final class NetServerSocketAdvice {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Argument(0) ProtocolFamily family, @Advice.Return FileDescriptor fd) {
            PortHooks.created(family, fd, false, true);
        }
    }

    // Net.bind(ProtocolFamily, FileDescriptor, InetAddress, int): every INET bind of every socket kind,
    // the implicit bind of a first UDP send/receive/connect included (DatagramChannelImpl.bindInternal).
    static final class NetBindAdvice {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Argument(0) ProtocolFamily family, @Advice.Argument(1) FileDescriptor fd,
                         @Advice.Argument(2) InetAddress address, @Advice.Argument(3) int port) {
            PortHooks.bound(family, fd, address, port);
        }
    }

    // Net.connect(ProtocolFamily, FileDescriptor, InetAddress, int): every INET connect. The kernel has
    // chosen the local port by the time it returns, also when it returns "in progress" (status <= 0) or throws.
    static final class NetConnectAdvice {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Argument(0) ProtocolFamily family, @Advice.Argument(1) FileDescriptor fd,
                         @Advice.Argument(2) InetAddress remote, @Advice.Argument(3) int remotePort,
                         @Advice.Thrown Throwable thrown, @Advice.Return int status) {
            PortHooks.connected(family, fd, remote, remotePort, thrown, status);
        }
    }

    // Net.localAddress(FileDescriptor): on 17 and 25 the JDK's own getsockname after every Net.bind, every
    // Net.connect that returned > 0 and in NioSocketImpl.accept; its answer spares the recorder a second one.
    static final class NetLocalAddressAdvice {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Argument(0) FileDescriptor fd, @Advice.Return InetSocketAddress local) {
            PortHooks.localAddress(fd, local);
        }
    }

    // NioSocketImpl.accept(SocketImpl): ServerSocket.accept() with the default impl (JDK 13+). Net.accept
    // is native, so the accepted impl is handed over once its fields are set.
    static final class NioSocketImplAcceptAdvice {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Argument(0) SocketImpl accepted) {
            PortHooks.acceptedImpl(accepted);
        }
    }

    // SocketChannelImpl(SelectorProvider, ProtocolFamily, FileDescriptor, SocketAddress) is the
    // constructor for channels returned by ServerSocketChannel.accept().
    static final class SocketChannelAcceptedAdvice {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Argument(1) ProtocolFamily family, @Advice.Argument(2) FileDescriptor fd,
                         @Advice.Argument(3) SocketAddress remote,
                         @Advice.FieldValue("localAddress") SocketAddress local) {
            PortHooks.accepted(family, fd, local, remote);
        }
    }

    // UnixAsynchronousSocketChannelImpl(Port, FileDescriptor, InetSocketAddress) is the constructor for
    // channels produced by AsynchronousServerSocketChannel.accept().
    static final class AsyncAcceptedAdvice {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Argument(1) FileDescriptor fd, @Advice.Argument(2) InetSocketAddress remote,
                         @Advice.FieldValue("localAddress") InetSocketAddress local) {
            PortHooks.accepted(null, fd, local, remote);
        }
    }

    // DatagramChannelImpl.disconnect(): the socket keeps its port but no longer has a peer.
    static final class DatagramDisconnectAdvice {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.FieldValue("fd") FileDescriptor fd) {
            PortHooks.disconnected(fd);
        }
    }

    // DatagramChannelImpl.bindInternal(SocketAddress): every bind of a UDP socket on 17 and 25, the explicit
    // one and the implicit one of a first send, receive or connect: Net.bind, then the JDK's Net.localAddress
    // into the localAddress field. Recorded once at its exit; inside it the Net.bind and Net.localAddress
    // hooks stand aside (a map write and two reads fewer per UDP socket). On a JDK without it they do the work.
    static final class DatagramBindAdvice {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter() {
            PortHooks.udpBindStarts();
        }

        // onThrowable: a failed bind must end the bind for the hooks too.
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.FieldValue("family") ProtocolFamily family, @Advice.FieldValue("fd") FileDescriptor fd,
                         @Advice.Argument(0) SocketAddress requested,
                         @Advice.FieldValue("localAddress") InetSocketAddress local) {
            PortHooks.udpBound(family, fd, requested, local);
        }
    }

    // The dispatchers' close(FileDescriptor) releases the fd: SocketDispatcher and DatagramDispatcher on
    // 17, UnixDispatcher on 21+. It also runs on the selector thread for a channel closed while
    // registered, and from the Cleaner for a Socket nobody closed. preClose (17) / implPreClose (21+)
    // dup2s a placeholder over the fd when another thread is blocked in I/O: the port is gone from then.
    static final class CloseAdvice {
        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Argument(0) FileDescriptor fd) {
            PortHooks.closed(fd);
        }
    }
}
