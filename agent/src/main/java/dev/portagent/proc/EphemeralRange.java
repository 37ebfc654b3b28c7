package dev.portagent.proc;

import java.io.File;
import java.util.StringTokenizer;

/** The range the kernel picks ephemeral (automatically assigned) local ports from. */
public record EphemeralRange(int low, int high, String source) {

    // A File, not a Path: premain reads it, and the first Path of a JVM initialises the default file
    // system, milliseconds of start-up that an application using no java.nio.file never pays.
    static final File FILE = new File("/proc/sys/net/ipv4/ip_local_port_range");

    /** The kernel's range, or IANA's 49152-65535 when it cannot be read (source says why). */
    public static EphemeralRange read() {
        return read(FILE);
    }

    static EphemeralRange read(File file) {
        try {
            return parse(ProcFile.read(file), file.toString());
        } catch (Exception e) { // never throw: the range only refines reports
            return ianaDefault(file + " unreadable: " + e);
        }
    }

    static EphemeralRange parse(String content, String source) {
        // A tokenizer, not split("\\s+"): compiling a regex in premain costs start-up time.
        StringTokenizer fields = new StringTokenizer(content);
        try {
            if (fields.countTokens() == 2) {
                int low = Integer.parseInt(fields.nextToken());
                int high = Integer.parseInt(fields.nextToken());
                if (0 < low && low <= high && high <= 65535) {
                    return new EphemeralRange(low, high, source);
                }
            }
        } catch (NumberFormatException e) {
            // falls through to the default, with the content in the reason
        }
        return ianaDefault("unexpected content of " + source + ": '" + content.strip() + "'");
    }

    private static EphemeralRange ianaDefault(String reason) {
        return new EphemeralRange(49152, 65535, "IANA default (" + reason + ")");
    }

    public boolean contains(int port) {
        return low <= port && port <= high;
    }

    public int size() {
        return high - low + 1;
    }
}
