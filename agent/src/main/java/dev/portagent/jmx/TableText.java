package dev.portagent.jmx;

import dev.portagent.report.Formats;
import dev.portagent.registry.SocketView;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code Table} attribute: one aligned line per open socket. JConsole shows a String[] as one
 * scrollable column, which is the quick look a person wants (a CompositeData[] it shows one row at a
 * time).
 */
final class TableText {

    private static final String[] HEADER = {"PROTO", "LOCAL", "REMOTE", "ROLE", "EPHEMERAL", "AGE", "THREAD", "SITE"};

    private TableText() {
    }

    /** {@code open} is in opening order and already cut to the rows shown; {@code leftOut} were cut. */
    static String[] lines(List<SocketView> open, long leftOut, int maxRows, long now) {
        List<String[]> cells = new ArrayList<>(open.size() + 1);
        cells.add(HEADER);
        for (SocketView v : open) {
            cells.add(new String[] {
                v.protocol(),
                Formats.endpoint(v.localAddress(), v.localPort()),
                v.remoteAddress() == null ? "-" : Formats.endpoint(v.remoteAddress(), v.remotePort()),
                v.role(),
                // An accepted socket has its listener's port: only a fixed bind inside the range is news.
                v.ephemeral() ? "yes" : v.inEphemeralRange() && !"accept".equals(v.role()) ? "no, in range" : "no",
                Formats.age(now - v.openedAt()),
                v.thread(),
                v.site() == null ? "(stack capture off)" : v.site()});
        }
        int[] width = new int[HEADER.length];
        for (String[] row : cells) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        List<String> lines = new ArrayList<>(cells.size() + 1);
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(row[i]);
                // The last column is not padded: trailing blanks only make lines wider.
                for (int pad = i < row.length - 1 ? width[i] - row[i].length() + 2 : 0; pad > 0; pad--) {
                    line.append(' ');
                }
            }
            lines.add(line.toString());
        }
        if (leftOut > 0) {
            lines.add(1, "(" + leftOut + " older open sockets left out: maxRows=" + maxRows
                    + "; the operation sockets(offset, limit) pages through all)");
        }
        return lines.toArray(new String[0]);
    }


}
