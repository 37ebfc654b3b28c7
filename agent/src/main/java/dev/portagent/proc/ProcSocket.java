package dev.portagent.proc;

import java.net.InetAddress;

/**
 * One line of /proc/net/{tcp,tcp6,udp,udp6}.
 *
 * <p>{@code family} is the file the line came from ({@code tcp6}/{@code udp6} give "ipv6"), not the
 * address type: an IPv4-mapped IPv6 address (::ffff:a.b.c.d) comes back as an {@link java.net.Inet4Address},
 * as {@link InetAddress#getByAddress(byte[])} makes it, so that it equals the address Java reports for
 * the socket. Java's sockets are dual-stack by default, so most Java sockets are "ipv6" even when bound
 * to an IPv4 address.
 *
 * <p>{@code state} is the kernel's TCP state name (LISTEN, ESTABLISHED, TIME_WAIT, ...) for TCP, and
 * "UNCONN" or "ESTAB" for UDP, as ss prints them. {@code inode} is 0 for sockets no file descriptor
 * holds any more (TIME_WAIT, orphaned FIN_WAIT, half-open connections).
 */
public record ProcSocket(String protocol, String family, InetAddress localAddress, int localPort,
                         InetAddress remoteAddress, int remotePort, String state, long inode, int uid) {
}
