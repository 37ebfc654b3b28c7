package dev.portagent.bootstrap;

// This class is defined in the boot class loader and called from advice inlined into java.base
// (sun.nio.ch.Net, the socket dispatchers, the socket impls). It must therefore use java.* only: a
// reference to any other class would fail to resolve from java.base, or load a second copy of it.
// Every hook swallows everything, so a failure of the recorder can never reach the application.

import java.io.FileDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;

public final class PortHooks {

    private static volatile PortListener listener;
    private static volatile long failures;
    private static volatile Throwable firstFailure;

    private PortHooks() {
    }

    /** Returns false when a listener is already installed: the agent was loaded twice. */
    public static synchronized boolean install(PortListener l) {
        if (listener != null) {
            return false;
        }
        listener = l;
        return true;
    }

    public static boolean installed() {
        return listener != null;
    }

    public static long failures() {
        return failures;
    }

    public static Throwable firstFailure() {
        return firstFailure;
    }

    public static void created(ProtocolFamily family, FileDescriptor fd, boolean udp, boolean listenerSocket) {
        PortListener l = listener;
        if (l != null && fd != null) {
            try {
                l.created(family, fd, udp, listenerSocket);
            } catch (Throwable t) {
                failed(t);
            }
        }
    }

    public static void bound(ProtocolFamily family, FileDescriptor fd, InetAddress address, int port) {
        PortListener l = listener;
        if (l != null && fd != null) {
            try {
                // Every caller of Net.bind reads Net.localAddress next (JDK 17 and 25): the port comes with it.
                if (port == 0) {
                    l.boundToAnyPort(family, fd, address);
                } else {
                    l.bound(family, fd, address, port);
                }
            } catch (Throwable t) {
                failed(t);
            }
        }
    }

    /** {@code status} is what Net.connect returned: positive when the connection was made at once. */
    public static void connected(ProtocolFamily family, FileDescriptor fd, InetAddress remote, int remotePort,
                                 Throwable failure, int status) {
        PortListener l = listener;
        if (l != null && fd != null) {
            try {
                // Only a connect made at once is followed by Net.localAddress; one in progress or failed is
                // not, and must be given its port now.
                if (failure == null && status > 0) {
                    l.connectedAtOnce(family, fd, remote, remotePort);
                } else {
                    l.connected(family, fd, remote, remotePort, failure);
                }
            } catch (Throwable t) {
                failed(t);
            }
        }
    }

    public static void localAddress(FileDescriptor fd, InetSocketAddress local) {
        PortListener l = listener;
        if (l != null && fd != null && local != null) {
            try {
                l.localAddress(fd, local);
            } catch (Throwable t) {
                failed(t);
            }
        }
    }

    public static void disconnected(FileDescriptor fd) {
        PortListener l = listener;
        if (l != null && fd != null) {
            try {
                l.disconnected(fd);
            } catch (Throwable t) {
                failed(t);
            }
        }
    }

    public static void udpBindStarts() {
        PortListener l = listener;
        if (l != null) {
            try {
                l.udpBindStarts();
            } catch (Throwable t) {
                failed(t);
            }
        }
    }

    public static void udpBound(ProtocolFamily family, FileDescriptor fd, SocketAddress requested,
                                InetSocketAddress local) {
        PortListener l = listener;
        if (l != null && fd != null) {
            try {
                l.udpBound(family, fd, requested, local);
            } catch (Throwable t) {
                failed(t);
            }
        }
    }

    public static void accepted(ProtocolFamily family, FileDescriptor fd, SocketAddress local, SocketAddress remote) {
        PortListener l = listener;
        // Unix domain channels are accepted through the same constructor; only INET ports count.
        if (l != null && fd != null && remote instanceof InetSocketAddress) {
            try {
                l.accepted(family, fd, local instanceof InetSocketAddress ? (InetSocketAddress) local : null,
                        (InetSocketAddress) remote);
            } catch (Throwable t) {
                failed(t);
            }
        }
    }

    public static void acceptedImpl(Object socketImpl) {
        PortListener l = listener;
        if (l != null && socketImpl != null) {
            try {
                l.acceptedImpl(socketImpl);
            } catch (Throwable t) {
                failed(t);
            }
        }
    }

    public static void closed(FileDescriptor fd) {
        PortListener l = listener;
        if (l != null && fd != null) {
            try {
                l.closed(fd);
            } catch (Throwable t) {
                failed(t);
            }
        }
    }

    private static void failed(Throwable t) {
        // A racy count is fine: it only tells the report that something went wrong.
        if (firstFailure == null) {
            firstFailure = t;
        }
        failures++;
    }
}
