package dev.portagent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import dev.portagent.AgentProperties;
import dev.portagent.options.AgentOptions;
import dev.portagent.options.OptionException;
import dev.portagent.report.ReportFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/** {@code java -jar portagent.jar <command>}: the same jar as the agent, as a command line. */
public final class Main {

    static final int OK = 0;
    static final int NOTHING = 1;
    static final int ERROR = 2;

    static final String USAGE = String.join("\n",
            "usage: java -jar portagent.jar <command> [arguments]",
            "",
            "  list                          the local JVMs: pid, user, whether portagent is loaded, main class or jar",
            "  attach <pid> [options]        load portagent into a running JVM; options as for -javaagent,",
            "                                e.g. attach 4242 report=/tmp/ports-{pid}.json,stack=16",
            "  ports <pid> [--all] [--json]  the ports a JVM with portagent holds and the code that opened each;",
            "                                --all adds the recently closed ones, --json prints the whole report",
            "  who <port> [--tcp|--udp]      which process holds a local port (any process, like lsof);",
            "                                for a JVM with portagent, the code that opened it",
            "  report <pid> [file]           the JSON report of a running JVM with portagent, to stdout or a file",
            "  show <report.json> [--all]    a saved report as a table, with its sites and warnings",
            "  help                          this text",
            "",
            "exit status: 0 found or done, 1 nothing found, 2 usage or environment error (one line on stderr)",
            "");

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            return command(args, out);
        } catch (CliException e) {
            err.println(e.getMessage());
            return e.exitCode;
        } catch (NoClassDefFoundError e) {
            String missing = e.getMessage().replace('/', '.');
            // The jar's Launcher-Agent-Class loads the libraries: only java -jar runs it.
            err.println(missing.startsWith("dev.portagent.shaded.")
                    ? "portagent: its libraries are not loaded (" + missing + "): run it as java -jar portagent.jar"
                    : "portagent: this Java runtime lacks " + missing + " (module jdk.attach): run the command with a full JDK");
            return ERROR;
        }
    }

    private static int command(String[] args, PrintStream out) throws CliException {
        if (args.length == 0 || List.of("help", "-h", "--help").contains(args[0])) {
            out.print(USAGE);
            out.println();
            out.print(AgentOptions.helpText());
            return OK;
        }
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        switch (args[0]) {
            case "list":
                return list(rest, out);
            case "attach":
                return attach(rest, out);
            case "ports":
                return ports(rest, out);
            case "who":
                return who(rest, out);
            case "report":
                return report(rest, out);
            case "show":
                return show(rest, out);
            default:
                throw usage("unknown command \"" + args[0] + "\"");
        }
    }

    private static int list(List<String> args, PrintStream out) throws CliException {
        expect(args.isEmpty(), "list takes no arguments");
        Map<Long, String> jvms = new TreeMap<>();
        for (VirtualMachineDescriptor d : VirtualMachine.list()) {
            try {
                String display = d.displayName().strip();
                jvms.put(Long.parseLong(d.id()), display.isEmpty() ? null : display.split(" ")[0]);
            } catch (NumberFormatException e) {
                // not a local pid
            }
        }
        // The attach API's name for a JVM of another JDK version can be "Unknown": /proc's command line
        // wins where it can be read. JVMs without hsperfdata (-XX:-UsePerfData, another /tmp) are invisible to the attach API's list.
        try (var entries = Files.newDirectoryStream(Processes.PROC, "[0-9]*")) {
            for (Path entry : entries) {
                long pid = Long.parseLong(entry.getFileName().toString());
                if (!jvms.containsKey(pid) && Processes.isJvm(pid)) {
                    jvms.put(pid, null);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // without /proc the attach API's list is all there is
        }
        jvms.remove(ProcessHandle.current().pid());
        if (jvms.isEmpty()) {
            out.println("no JVMs found");
            return NOTHING;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"PID", "USER", "PORTAGENT", "MAIN"});
        jvms.forEach((pid, main) -> {
            Boolean loaded = Processes.holdsPortagentJar(pid);
            String fromCmdline = Processes.mainOf(Processes.cmdline(pid));
            String shown = fromCmdline != null ? fromCmdline : main;
            rows.add(new String[] {Long.toString(pid), Processes.user(pid),
                    loaded == null ? "?" : loaded ? "yes" : "no", shown == null ? "?" : shown});
        });
        ReportTable.align(rows).forEach(out::println);
        return OK;
    }

    private static int attach(List<String> args, PrintStream out) throws CliException {
        expect(!args.isEmpty(), "attach <pid> [options]");
        long pid = pid(args.get(0));
        String options = String.join(",", args.subList(1, args.size()));
        AgentOptions parsed = options(options, Map.of(), Map.of());
        if (parsed.help()) {
            out.print(AgentOptions.helpText());
            return OK;
        }
        Path jar = ownJar();
        try (LiveJvm jvm = LiveJvm.attach(pid)) {
            jvm.checkVersion();
            Properties agent = jvm.agentProperties();
            String version = agent.getProperty(AgentProperties.VERSION);
            if (version != null) {
                out.println("portagent " + version + " is already recording in JVM " + pid + " (loaded by "
                        + agent.getProperty(AgentProperties.LOADED_BY, "?") + ", options: "
                        + agent.getProperty(AgentProperties.OPTIONS, "?") + "); nothing changed");
                return OK;
            }
            List<String> jvmOptions = Processes.jvmOptions(pid);
            if (Boolean.FALSE.equals(Processes.flag(jvmOptions, "EnableDynamicAgentLoading"))) {
                throw LiveJvm.dynamicLoadingDisabled(pid);
            }
            // What the agent will parse there: these options with that JVM's portagent.* properties and environment.
            options(options, portagentProperties(jvm.systemProperties()), Processes.environment(pid));
            int owner = Processes.uid(pid);
            if (owner != 0 && owner != Processes.selfUid() && !LiveJvm.readableByOthers(jar)) {
                throw new CliException(ERROR, "portagent: JVM " + pid + " runs as user " + Processes.user(pid)
                        + ", who cannot read " + jar + ": copy the jar where that user can read it");
            }
            jvm.loadAgent(jar, options.isEmpty() ? null : options);
            String loaded = jvm.portagentVersion();
            if (loaded == null) {
                throw new CliException(ERROR, "portagent: JVM " + pid + " loaded the agent but it did not start;"
                        + " the reason is on that JVM's stderr");
            }
            out.println("portagent " + loaded + " is recording in JVM " + pid + " ("
                    + Processes.mainOf(Processes.cmdline(pid)) + "); its ports: java -jar " + jarText() + " ports " + pid);
            int feature = jvm.feature();
            if (feature >= 21 && !Boolean.TRUE.equals(Processes.flag(jvmOptions, "EnableDynamicAgentLoading"))) {
                out.println("note: Java " + feature + " printed a warning about a dynamically loaded agent on that"
                        + " JVM's stderr; starting it with -XX:+EnableDynamicAgentLoading silences it");
            }
            return OK;
        }
    }

    private static int ports(List<String> args, PrintStream out) throws CliException {
        boolean all = args.remove("--all");
        boolean json = args.remove("--json");
        expect(args.size() == 1, "ports <pid> [--all] [--json]");
        long pid = pid(args.get(0));
        String report = liveReport(pid);
        if (json) {
            out.println(report);
            return OK;
        }
        JsonNode parsed = ReportTable.parse(report, "the report of JVM " + pid);
        out.println(ReportTable.summary(parsed));
        List<String> lines = ReportTable.sockets(parsed, all);
        lines.forEach(out::println);
        return lines.size() > 1 ? OK : NOTHING;
    }

    private static int who(List<String> args, PrintStream out) throws CliException {
        boolean tcp = args.remove("--tcp");
        boolean udp = args.remove("--udp");
        expect(args.size() == 1, "who <port> [--tcp|--udp]");
        int port;
        try {
            port = Integer.parseInt(args.get(0));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw usage("\"" + args.get(0) + "\" is not a port (1-65535)");
        }
        return new Who(port, tcp || !udp, udp || !tcp, out).run();
    }

    private static int report(List<String> args, PrintStream out) throws CliException {
        expect(args.size() == 1 || args.size() == 2, "report <pid> [file]");
        long pid = pid(args.get(0));
        if (args.size() == 2) {
            String problem = ReportFiles.problem(Path.of(args.get(1)));
            if (problem != null) {
                throw new CliException(ERROR, "portagent: cannot write " + args.get(1) + ": " + problem);
            }
        }
        String report = liveReport(pid);
        if (args.size() == 1) {
            out.println(report);
            return OK;
        }
        Path file = Path.of(args.get(1));
        try {
            ReportFiles.writeAtomically(file, o -> o.write(report.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new CliException(ERROR, "portagent: cannot write " + file + ": " + e.getMessage());
        }
        out.println("wrote the report of JVM " + pid + " to " + file);
        return OK;
    }

    private static int show(List<String> args, PrintStream out) throws CliException {
        boolean all = args.remove("--all");
        expect(args.size() == 1, "show <report.json> [--all]");
        Path file = Path.of(args.get(0));
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new CliException(ERROR, "portagent: no file " + file);
        } catch (IOException e) {
            throw new CliException(ERROR, "portagent: cannot read " + file + ": " + e.getMessage());
        }
        JsonNode report = ReportTable.parse(text, file.toString());
        out.println(ReportTable.summary(report));
        ReportTable.sockets(report, all).forEach(out::println);
        out.println();
        out.println("sites:");
        ReportTable.sites(report).forEach(line -> out.println("  " + line));
        List<String> warnings = ReportTable.warnings(report);
        if (!warnings.isEmpty()) {
            out.println();
            out.println("warnings:");
            warnings.forEach(line -> out.println("  " + line));
        }
        return OK;
    }

    private static String liveReport(long pid) throws CliException {
        try (LiveJvm jvm = LiveJvm.attach(pid)) {
            if (jvm.portagentVersion() == null) {
                throw new CliException(NOTHING, "portagent: JVM " + pid + " (" + Processes.mainOf(Processes.cmdline(pid))
                        + ") does not have portagent loaded; load it with: java -jar " + jarText() + " attach " + pid);
            }
            return jvm.report();
        }
    }

    private static AgentOptions options(String options, Map<String, String> properties, Map<String, String> env)
            throws CliException {
        try {
            return AgentOptions.parse(options, properties, env);
        } catch (OptionException e) {
            throw new CliException(ERROR, e.getMessage());
        }
    }

    private static Map<String, String> portagentProperties(Properties system) {
        Map<String, String> map = new HashMap<>();
        for (String name : system.stringPropertyNames()) {
            if (name.startsWith("portagent.")) {
                map.put(name, system.getProperty(name));
            }
        }
        return map;
    }

    private static long pid(String text) throws CliException {
        try {
            long pid = Long.parseLong(text);
            if (pid > 0) {
                return pid;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw usage("\"" + text + "\" is not a process id");
    }

    private static void expect(boolean ok, String usage) throws CliException {
        if (!ok) {
            throw usage("usage: java -jar portagent.jar " + usage);
        }
    }

    private static CliException usage(String message) {
        return new CliException(ERROR, "portagent: " + message + " (java -jar portagent.jar help lists the commands)");
    }

    /** This jar: the agent that attach loads is the command line's own jar. */
    static Path ownJar() throws CliException {
        Path jar = ownJarOrNull();
        if (jar == null) {
            throw new CliException(ERROR, "portagent: attach loads the jar this command runs from; run it as"
                    + " java -jar portagent.jar");
        }
        return jar;
    }

    private static Path ownJarOrNull() {
        try {
            Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
            return Files.isRegularFile(jar) ? jar : null;
        } catch (Exception e) {
            return null;
        }
    }

    static String jarText() {
        Path jar = ownJarOrNull();
        return jar == null ? "portagent.jar" : jar.toString();
    }
}
