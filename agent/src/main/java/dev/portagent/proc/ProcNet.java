package dev.portagent.proc;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The kernel's view of the INET sockets, from /proc (Linux only).
 *
 * <p>The source of truth the agent's own records are checked against. Public methods never throw:
 * without /proc (or without permission) they return empty results; {@link #available()} tells which.
 * Each call reads each file once, so it is cheap enough for periodic use but belongs on no hot path.
 *
 * <p>A TCP socket that is bound but neither listening nor connected is not in /proc/net/tcp at all.
 */
public final class ProcNet {

    private static final Path PROC = Path.of("/proc");

    // Columns of /proc/net/{tcp,udp}[6] we use; the kernel appends more, which we ignore.
    private static final int LOCAL = 1, REMOTE = 2, STATE = 3, UID = 7, INODE = 9, COLUMNS = 10;

    // include/net/tcp_states.h, indexed by the hex code in the "st" column.
    private static final String[] TCP_STATES = {null, "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
            "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
            "BOUND_INACTIVE"};
    private static final int TCP_ESTABLISHED = 0x01, TCP_CLOSE = 0x07;

    /** The files of /proc/net that list INET sockets, in the order they are read. */
    public enum Table {
        TCP, TCP6, UDP, UDP6;

        final String file = name().toLowerCase(Locale.ROOT);
        final String protocol = file.substring(0, 3);
        final boolean ipv6 = file.endsWith("6");

        /** The file that lists {@code socket}. */
        public static Table of(ProcSocket socket) {
            return values()[(socket.protocol().equals("udp") ? 2 : 0) + (socket.family().equals("ipv6") ? 1 : 0)];
        }
    }

    private ProcNet() {
    }

    /**
     * This process's id as /proc knows it. Not ProcessHandle.current(): its first use starts the
     * JDK's process machinery (an executor, lambdas), tens of milliseconds while the application starts.
     */
    public static long selfPid() {
        try {
            return Long.parseLong(Files.readSymbolicLink(PROC.resolve("self")).toString());
        } catch (IOException | RuntimeException e) {
            return ProcessHandle.current().pid(); // no /proc: nothing will be read there anyway
        }
    }

    /** Whether /proc/net/tcp is readable, i.e. whether the other methods can return anything. */
    public static boolean available() {
        return Files.isReadable(PROC.resolve("net").resolve("tcp"));
    }

    /** All TCP and UDP sockets of this process's network namespace. */
    public static List<ProcSocket> readAll() {
        return readNet(PROC.resolve("net"));
    }

    /** All TCP and UDP sockets of the network namespace of process {@code pid}. */
    public static List<ProcSocket> readAll(long pid) {
        return readNet(netDir(PROC, pid));
    }

    /** Inodes of the sockets that process {@code pid} holds open file descriptors on. */
    public static Set<Long> socketInodes(long pid) {
        return socketInodes(PROC, pid);
    }

    /**
     * File descriptor number to socket inode, for the socket descriptors process {@code pid} holds; null
     * (not empty) when its fd directory cannot be read, so that a caller can tell "none" from "unknown".
     */
    public static Map<Integer, Long> socketFds(long pid) {
        return socketFds(PROC, pid, Map.of());
    }

    /**
     * Like {@link #socketFds(long)}, but an fd number in {@code known} gets that inode without its link
     * being read: each link costs a system call, ten thousand of them tens of milliseconds. The caller
     * vouches that those numbers still name those sockets.
     */
    public static Map<Integer, Long> socketFds(long pid, Map<Integer, Long> known) {
        return socketFds(PROC, pid, known);
    }

    /**
     * The sockets that some of the files of this process's network namespace list, or null rather than a
     * partial list when one that exists cannot be read (out of file descriptors, for one): for callers
     * that conclude from a socket's absence that it closed. Read only the files needed: the kernel writes
     * them a page at a time and, for UDP, finds its place in the socket table again from the start for
     * each page, so /proc/net/udp6 with 10000 sockets costs about 150 ms of system time.
     */
    public static List<ProcSocket> readOrNull(Set<Table> tables) {
        return readNet(PROC.resolve("net"), tables, true);
    }

    /** The inodes of the Unix domain sockets of this process's network namespace (/proc/net/unix), or null. */
    public static Set<Long> unixInodesOrNull() {
        String content = readOrNull(PROC.resolve("net").resolve("unix"));
        return content == null ? null : unixInodes(content);
    }

    /** "Num RefCount Protocol Flags Type St Inode Path": the inode is the seventh column. */
    static Set<Long> unixInodes(String fileContent) {
        Set<Long> inodes = new HashSet<>();
        String[] lines = fileContent.split("\n");
        for (int i = 1; i < lines.length; i++) {
            String[] columns = lines[i].trim().split("\\s+");
            long inode = columns.length >= 7 ? ProcFds.decimal(columns[6]) : -1;
            if (inode > 0) {
                inodes.add(inode);
            }
        }
        return inodes;
    }

    /** The sockets process {@code pid} holds; without TIME_WAIT and others that no descriptor holds. */
    public static List<ProcSocket> socketsOf(long pid) {
        return socketsOf(PROC, pid);
    }

    /** Socket inode to the pids holding it, over every process whose descriptors we may read. */
    public static Map<Long, List<Long>> inodeOwners() {
        return inodeOwners(PROC);
    }

    static List<ProcSocket> socketsOf(Path proc, long pid) {
        Set<Long> inodes = socketInodes(proc, pid);
        List<ProcSocket> held = new ArrayList<>();
        if (inodes.isEmpty()) {
            return held;
        }
        for (ProcSocket socket : readNet(netDir(proc, pid))) {
            if (socket.inode() != 0 && inodes.contains(socket.inode())) {
                held.add(socket);
            }
        }
        return held;
    }

    private static Path netDir(Path proc, long pid) {
        return proc.resolve(Long.toString(pid)).resolve("net");
    }

    static Map<Long, List<Long>> inodeOwners(Path proc) {
        Map<Long, List<Long>> owners = new HashMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc)) {
            for (Path entry : entries) {
                long pid = ProcFds.decimal(entry.getFileName().toString());
                if (pid < 0) {
                    continue;
                }
                for (long inode : socketInodes(proc, pid)) {
                    owners.computeIfAbsent(inode, i -> new ArrayList<>(1)).add(pid);
                }
            }
        } catch (Exception e) {
            // no /proc, or it went away mid-walk: what we have is all we can tell
        }
        return owners;
    }

    static Set<Long> socketInodes(Path proc, long pid) {
        Map<Integer, Long> fds = socketFds(proc, pid);
        return fds == null ? new HashSet<>() : new HashSet<>(fds.values());
    }

    static Map<Integer, Long> socketFds(Path proc, long pid) {
        return socketFds(proc, pid, Map.of());
    }

    static Map<Integer, Long> socketFds(Path proc, long pid, Map<Integer, Long> known) {
        return ProcFds.socketFds(proc.resolve(Long.toString(pid)).resolve("fd"), known);
    }

    static List<ProcSocket> readNet(Path netDir) {
        return readNet(netDir, EnumSet.allOf(Table.class), false);
    }

    private static List<ProcSocket> readNet(Path netDir, Set<Table> tables, boolean strict) {
        List<ProcSocket> all = new ArrayList<>();
        for (Table table : tables) {
            Path file = netDir.resolve(table.file);
            String content = readOrNull(file);
            if (content != null) {
                all.addAll(parse(table.protocol, table.ipv6, content));
            } else if (strict && (!table.ipv6 || Files.exists(file))) {
                return null;
            }
        }
        return all;
    }

    private static String readOrNull(Path file) {
        try {
            return ProcFile.read(file);
        } catch (Exception e) {
            return null; // e.g. no tcp6 on a kernel without IPv6
        }
    }

    /**
     * Parses the text of one /proc/net file; the first line is the header. Lines that do not look like
     * the kernel's format are skipped rather than failing the whole read.
     */
    static List<ProcSocket> parse(String protocol, boolean ipv6, String fileContent) {
        List<ProcSocket> sockets = new ArrayList<>();
        int[] columns = new int[2 * COLUMNS];
        int lineStart = fileContent.indexOf('\n') + 1;
        while (lineStart > 0 && lineStart < fileContent.length()) {
            int lineEnd = fileContent.indexOf('\n', lineStart);
            if (lineEnd < 0) {
                lineEnd = fileContent.length();
            }
            if (split(fileContent, lineStart, lineEnd, columns)) {
                ProcSocket socket = toSocket(protocol, ipv6, fileContent, columns);
                if (socket != null) {
                    sockets.add(socket);
                }
            }
            lineStart = lineEnd + 1;
        }
        return sockets;
    }

    /** Finds the first {@link #COLUMNS} whitespace-separated columns; false if the line has fewer. */
    private static boolean split(String s, int from, int to, int[] columns) {
        int i = from;
        for (int c = 0; c < COLUMNS; c++) {
            while (i < to && s.charAt(i) <= ' ') {
                i++;
            }
            if (i == to) {
                return false;
            }
            columns[2 * c] = i;
            while (i < to && s.charAt(i) > ' ') {
                i++;
            }
            columns[2 * c + 1] = i;
        }
        return true;
    }

    private static ProcSocket toSocket(String protocol, boolean ipv6, String s, int[] columns) {
        try {
            int addressHexLength = ipv6 ? 32 : 8;
            int local = columns[2 * LOCAL], remote = columns[2 * REMOTE];
            if (columns[2 * LOCAL + 1] - local != addressHexLength + 5
                    || columns[2 * REMOTE + 1] - remote != addressHexLength + 5) {
                return null;
            }
            int stateCode = Integer.parseInt(s, columns[2 * STATE], columns[2 * STATE + 1], 16);
            return new ProcSocket(protocol, ipv6 ? "ipv6" : "ipv4",
                    address(s, local, addressHexLength), port(s, local + addressHexLength),
                    address(s, remote, addressHexLength), port(s, remote + addressHexLength),
                    "udp".equals(protocol) ? udpState(stateCode) : tcpState(stateCode),
                    Long.parseLong(s, columns[2 * INODE], columns[2 * INODE + 1], 10),
                    Integer.parseUnsignedInt(s, columns[2 * UID], columns[2 * UID + 1], 10));
        } catch (NumberFormatException | UnknownHostException e) {
            return null;
        }
    }

    /**
     * The kernel prints each 32-bit word of the network-order address as a host-order integer, so the
     * word's bytes in native order are the address bytes (reversed hex pairs on x86).
     */
    private static InetAddress address(String s, int from, int hexLength) throws UnknownHostException {
        ByteBuffer bytes = ByteBuffer.allocate(hexLength / 2).order(ByteOrder.nativeOrder());
        for (int word = from; word < from + hexLength; word += 8) {
            bytes.putInt(Integer.parseUnsignedInt(s, word, word + 8, 16));
        }
        return InetAddress.getByAddress(bytes.array());
    }

    /** {@code at} is the colon before the 4 hex digits of the port, which is printed in host order. */
    private static int port(String s, int at) {
        if (s.charAt(at) != ':') {
            throw new NumberFormatException("no ':' before port");
        }
        return Integer.parseInt(s, at + 1, at + 5, 16);
    }

    private static String tcpState(int code) {
        return code > 0 && code < TCP_STATES.length ? TCP_STATES[code] : "UNKNOWN_" + Integer.toHexString(code);
    }

    private static String udpState(int code) {
        return switch (code) {
            case TCP_CLOSE -> "UNCONN";
            case TCP_ESTABLISHED -> "ESTAB";
            default -> tcpState(code);
        };
    }
}
