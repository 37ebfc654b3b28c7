package dev.portagent.proc;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The socket descriptors of a process, from its fd directory. Apart from {@link ProcNet}: the agent lists
 * its own before it puts the hooks in place, on the path of the application's first socket, and should not
 * load the /proc/net parser there.
 */
public final class ProcFds {

    private static final Path SELF_FDS = Path.of("/proc/self/fd");
    private static final String SOCKET_LINK_PREFIX = "socket:[";

    private ProcFds() {
    }

    /** The inodes of this process's sockets now, or null when /proc/self/fd cannot be read. */
    public static Set<Long> socketInodesOfThisProcess() {
        Map<Integer, Long> fds = socketFds(SELF_FDS, Map.of());
        return fds == null ? null : new HashSet<>(fds.values());
    }

    /**
     * fd number to socket inode for the socket descriptors in {@code fdDir}, or null (not empty) when it
     * cannot be read. An fd number in {@code known} gets that inode without its link being read.
     */
    static Map<Integer, Long> socketFds(Path fdDir, Map<Integer, Long> known) {
        Map<Integer, Long> inodes = new HashMap<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            for (Path fd : fds) {
                long number = decimal(fd.getFileName().toString());
                if (number < 0 || number > Integer.MAX_VALUE) {
                    continue;
                }
                Long vouched = known.get((int) number);
                long inode = vouched != null ? vouched : socketInode(fd);
                if (inode > 0) {
                    inodes.put((int) number, inode);
                }
            }
        } catch (Exception e) {
            return null; // process gone or not ours to read
        }
        return inodes;
    }

    private static long socketInode(Path fd) {
        String target;
        try {
            target = Files.readSymbolicLink(fd).toString();
        } catch (Exception e) {
            return -1; // closed while we were listing
        }
        if (!target.startsWith(SOCKET_LINK_PREFIX) || !target.endsWith("]")) {
            return -1;
        }
        try {
            return Long.parseLong(target, SOCKET_LINK_PREFIX.length(), target.length() - 1, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The non-negative decimal number {@code name} is (a pid, an fd), or -1. */
    static long decimal(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return -1;
            }
        }
        try {
            return name.isEmpty() ? -1 : Long.parseLong(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
