package dev.portagent.cli;

import dev.portagent.report.Formats;
import com.fasterxml.jackson.databind.JsonNode;
import dev.portagent.proc.ProcNet;
import dev.portagent.proc.ProcSocket;
import dev.portagent.registry.Registry;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * "Who holds port N?" Like lsof: the sockets with that local port from /proc/net, their owners from
 * every /proc/PID/fd. Then, unlike lsof, for a JVM with portagent the code that opened each.
 */
final class Who {

    private final int port;
    private final boolean tcp;
    private final boolean udp;
    private final PrintStream out;

    Who(int port, boolean tcp, boolean udp, PrintStream out) {
        this.port = port;
        this.tcp = tcp;
        this.udp = udp;
        this.out = out;
    }

    int run() throws CliException {
        if (!ProcNet.available()) {
            throw new CliException(Main.ERROR, "portagent: /proc/net/tcp cannot be read: who needs Linux's /proc");
        }
        List<ProcSocket> held = new ArrayList<>();
        for (ProcSocket s : ProcNet.readAll()) {
            if (s.localPort() == port && (s.protocol().equals("tcp") ? tcp : udp)) {
                held.add(s);
            }
        }
        if (held.isEmpty()) {
            out.println("nothing holds " + (tcp && udp ? "tcp or udp" : tcp ? "tcp" : "udp") + " port " + port
                    + " in this network namespace");
            return Main.NOTHING;
        }
        Map<Long, List<Long>> owners = ProcNet.inodeOwners();
        Map<Long, List<ProcSocket>> byPid = new TreeMap<>();
        List<ProcSocket> unowned = new ArrayList<>();
        for (ProcSocket s : held) {
            List<Long> pids = s.inode() == 0 ? List.of() : owners.getOrDefault(s.inode(), List.of());
            if (pids.isEmpty()) {
                unowned.add(s);
            }
            for (long pid : pids) {
                byPid.computeIfAbsent(pid, p -> new ArrayList<>()).add(s);
            }
        }
        byPid.forEach(this::process);
        for (ProcSocket s : unowned) {
            out.println(line(s) + (s.inode() == 0
                    ? "  (no process holds it: " + (s.state().equals("ESTABLISHED")
                            ? "a connection in a listener's queue, not accepted yet)"
                            : "closed, the kernel keeps it in " + s.state() + ")")
                    : "  (held by a process whose descriptors this user cannot read: run as root)"));
        }
        return Main.OK;
    }

    private void process(long pid, List<ProcSocket> sockets) {
        boolean jvm = Processes.isJvm(pid);
        out.println("pid " + pid + " (user " + Processes.user(pid) + (jvm ? ", a JVM" : "") + "): "
                + Processes.commandText(pid));
        for (ProcSocket s : sockets) {
            out.println("  " + line(s));
        }
        if (jvm) {
            out.println(String.join("\n", portagentRecords(pid)));
        }
    }

    /** What portagent in that JVM knows about the port; says why when it cannot tell. */
    private List<String> portagentRecords(long pid) {
        List<String> lines = new ArrayList<>();
        try (LiveJvm jvm = LiveJvm.attach(pid)) {
            String version = jvm.portagentVersion();
            if (version == null) {
                lines.add("  portagent is not loaded in this JVM: to see the code that opens its ports, run"
                        + " java -jar " + Main.jarText() + " attach " + pid
                        + " (sockets it holds already are then listed without a stack)");
                return lines;
            }
            JsonNode report = ReportTable.parse(jvm.report(), "the report of JVM " + pid);
            long generated = ReportTable.time(report.path("generatedAt"));
            for (JsonNode s : report.path("sockets")) {
                if (s.path("localPort").asInt() == port && "open".equals(s.path("state").asText())
                        && (s.path("protocol").asText().equals("tcp") ? tcp : udp)) {
                    lines.addAll(ReportTable.details(s, generated));
                }
            }
            lines.add(0, lines.isEmpty() ? "  portagent " + version + " has no open record of this port"
                    : "  portagent " + version + " recorded:");
        } catch (CliException e) {
            lines.add("  portagent cannot ask this JVM: " + e.getMessage().replaceFirst("^portagent: ", ""));
        }
        return lines;
    }

    private static String line(ProcSocket s) {
        boolean ipv6 = s.family().equals("ipv6");
        return s.protocol() + "  " + s.state() + "  "
                + Formats.endpoint(Registry.address(s.localAddress(), ipv6), s.localPort())
                + (s.remotePort() == 0 ? ""
                        : " -> " + Formats.endpoint(Registry.address(s.remoteAddress(), ipv6), s.remotePort()));
    }
}
