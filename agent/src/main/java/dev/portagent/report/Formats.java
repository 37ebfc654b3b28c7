package dev.portagent.report;

import java.util.Locale;

/** How every human-readable view (the CLI, JConsole's Table, the summary) writes addresses and ages. */
public final class Formats {

    private Formats() {
    }

    /** As ss writes it: IPv6 addresses in brackets. */
    public static String endpoint(String address, int port) {
        return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
    }

    /** 42s, 3m07s, 5h02m, 12d04h: precise enough to tell a fresh socket from a leaked one. */
    public static String age(long millis) {
        long s = Math.max(0, millis) / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", s / 86_400, s / 3600 % 24);
    }
}
