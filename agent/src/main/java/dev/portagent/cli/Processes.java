package dev.portagent.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/** What /proc tells about a process without touching it. Linux only, like the rest of the command line. */
final class Processes {

    static final Path PROC = Path.of("/proc");
    private static final String AGENT_CLASS = "dev.portagent.Agent";
    /** Where a JVM may be given its flags besides the command line; later ones win, as in the JVM. */
    private static final List<String> OPTION_VARIABLES = List.of("JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS");
    // Options of the java launcher that take the next word as their value.
    private static final Set<String> WITH_VALUE = Set.of("-cp", "-classpath", "--class-path", "-p", "--module-path",
            "--upgrade-module-path", "--add-modules", "--limit-modules", "--add-reads", "--add-exports", "--add-opens",
            "--patch-module", "--enable-native-access", "--source");

    private Processes() {
    }

    static boolean exists(long pid) {
        return pid > 0 && Files.isDirectory(PROC.resolve(Long.toString(pid)));
    }

    /** The command line; empty for a kernel thread or a process that is gone. */
    static List<String> cmdline(long pid) {
        try {
            byte[] raw = Files.readAllBytes(PROC.resolve(pid + "/cmdline"));
            String text = new String(raw, StandardCharsets.UTF_8);
            if (text.endsWith("\0")) {
                text = text.substring(0, text.length() - 1);
            }
            return text.isEmpty() ? List.of() : Arrays.asList(text.split("\0", -1));
        } catch (IOException e) {
            return List.of();
        }
    }

    static String commandText(long pid) {
        List<String> words = cmdline(pid);
        if (words.isEmpty()) {
            return "[" + comm(pid) + "]";
        }
        String text = String.join(" ", words);
        return text.length() > 200 ? text.substring(0, 197) + "..." : text;
    }

    private static String comm(long pid) {
        try {
            return Files.readString(PROC.resolve(pid + "/comm")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The effective uid, or -1 when the process is gone. */
    static int uid(long pid) {
        return uidOf(PROC.resolve(pid + "/status"));
    }

    static int selfUid() {
        return uidOf(PROC.resolve("self/status"));
    }

    private static int uidOf(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).strip().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    static String user(long pid) {
        try {
            return Files.getOwner(PROC.resolve(Long.toString(pid))).getName();
        } catch (IOException e) {
            return "?";
        }
    }

    /**
     * Whether the process runs a HotSpot-style JVM: libjvm.so is mapped. Another user's maps are not
     * readable to us; then the program's name decides.
     */
    static boolean isJvm(long pid) {
        try (var lines = Files.lines(PROC.resolve(pid + "/maps"))) {
            return lines.anyMatch(line -> line.endsWith("/libjvm.so"));
        } catch (IOException | java.io.UncheckedIOException e) {
            List<String> words = cmdline(pid);
            return !words.isEmpty() && (words.get(0).equals("java") || words.get(0).endsWith("/java"));
        }
    }

    static Map<String, String> environment(long pid) {
        Map<String, String> env = new HashMap<>();
        try {
            String text = new String(Files.readAllBytes(PROC.resolve(pid + "/environ")), StandardCharsets.UTF_8);
            for (String entry : text.split("\0")) {
                int eq = entry.indexOf('=');
                if (eq > 0) {
                    env.put(entry.substring(0, eq), entry.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            // another user's: what we cannot read, the JVM itself will judge
        }
        return env;
    }

    /** The JVM's own options, from the environment variables it reads and its command line, in the JVM's order. */
    static List<String> jvmOptions(long pid) {
        Map<String, String> env = environment(pid);
        List<String> options = new ArrayList<>();
        for (String variable : OPTION_VARIABLES.subList(0, 2)) {
            addWords(options, env.get(variable));
        }
        options.addAll(launcherOptions(cmdline(pid)));
        addWords(options, env.get(OPTION_VARIABLES.get(2)));
        return options;
    }

    private static void addWords(List<String> options, String value) {
        if (value != null && !value.isBlank()) {
            options.addAll(Arrays.asList(value.strip().split("\\s+")));
        }
    }

    /** The value of a boolean -XX flag as the given options set it, or null when they do not. */
    static Boolean flag(List<String> options, String name) {
        Boolean value = null;
        for (String option : options) {
            if (option.equals("-XX:+" + name)) {
                value = true;
            } else if (option.equals("-XX:-" + name)) {
                value = false;
            }
        }
        return value;
    }

    /** The launcher options: the words after the program name and before the main class or jar. */
    static List<String> launcherOptions(List<String> cmdline) {
        List<String> options = new ArrayList<>();
        for (int i = 1; i < cmdline.size(); i++) {
            String word = cmdline.get(i);
            if (!word.startsWith("-") || word.equals("-jar") || word.equals("-m") || word.equals("--module")) {
                break;
            }
            options.add(word);
            if (WITH_VALUE.contains(word) && i + 1 < cmdline.size()) {
                options.add(cmdline.get(++i));
            }
        }
        return options;
    }

    /** The main class, {@code -jar} file or module a java command line runs, or null. */
    static String mainOf(List<String> cmdline) {
        for (int i = 1; i < cmdline.size(); i++) {
            String word = cmdline.get(i);
            if (word.equals("-jar") || word.equals("-m") || word.equals("--module")) {
                return i + 1 < cmdline.size() ? cmdline.get(i + 1) : null;
            }
            if (word.startsWith("--module=")) {
                return word.substring("--module=".length());
            }
            if (!word.startsWith("-")) {
                return word;
            }
            if (WITH_VALUE.contains(word)) {
                i++;
            }
        }
        return null;
    }

    /**
     * Whether the process holds the portagent jar open: the JVM keeps every jar it loaded classes from
     * open, so a JVM with the agent (-javaagent or attached) has it among its fds. Null when its fds are
     * not ours to read.
     */
    static Boolean holdsPortagentJar(long pid) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC.resolve(pid + "/fd"))) {
            for (Path fd : fds) {
                Path target;
                try {
                    target = Files.readSymbolicLink(fd);
                } catch (IOException e) {
                    continue;
                }
                if (target.toString().endsWith(".jar") && isPortagentJar(target)) {
                    return true;
                }
            }
            return false;
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    static boolean isPortagentJar(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            return manifest != null && AGENT_CLASS.equals(manifest.getMainAttributes().getValue("Agent-Class"));
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
