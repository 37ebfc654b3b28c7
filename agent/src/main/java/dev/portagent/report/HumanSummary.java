package dev.portagent.report;

import dev.portagent.registry.SiteView;
import dev.portagent.registry.Snapshot;
import dev.portagent.registry.SocketView;
import dev.portagent.registry.Warning;
import java.util.Comparator;
import java.util.List;

/** A few lines for a person at exit: what is still open and where, what churned, what looks wrong. */
public final class HumanSummary {

    private static final int SITES_SHOWN = 5;

    private HumanSummary() {
    }

    public static String of(Snapshot s) {
        StringBuilder b = new StringBuilder();
        long openEphemeral = s.open().stream().filter(SocketView::ephemeral).count();
        b.append("portagent: ").append(s.open().size()).append(" sockets open (").append(openEphemeral)
                .append(" on ephemeral ports); ").append(s.counters().ephemeralAllocated())
                .append(" ephemeral ports allocated, ").append(s.counters().closed()).append(" sockets closed since start\n");
        List<SiteView> open = s.sites().stream().filter(site -> site.open() > 0)
                .sorted(Comparator.comparingLong(SiteView::open).reversed()).limit(SITES_SHOWN).toList();
        if (!open.isEmpty()) {
            b.append("  still open, by site:\n");
            open.forEach(site -> b.append(String.format("  %6d  %s%n", site.open(), site.site())));
        }
        List<SiteView> churn = s.sites().stream().filter(site -> site.ephemeral() > 0)
                .sorted(Comparator.comparingLong(SiteView::ephemeral).reversed()).limit(SITES_SHOWN).toList();
        if (!churn.isEmpty()) {
            b.append("  ephemeral ports allocated, by site:\n");
            churn.forEach(site -> b.append(String.format("  %6d  %s%n", site.ephemeral(), site.site())));
        }
        for (Warning w : s.warnings()) {
            b.append("  warning ").append(w.type()).append(": ").append(w.message()).append('\n');
        }
        return b.toString();
    }
}
