package dev.portagent.cli;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import dev.portagent.AgentProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import javax.management.JMException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * A running JVM reached through the attach mechanism. Every way that can fail becomes one line that
 * says what is wrong with this JVM, checked from /proc before trying where /proc can tell.
 */
final class LiveJvm implements AutoCloseable {

    static final String MBEAN = "dev.portagent:type=Ports";
    static final int MINIMUM_FEATURE = 17;
    private static final String LOCAL_CONNECTOR = "com.sun.management.jmxremote.localConnectorAddress";
    // The MBean is registered a moment after the agent starts (it must not initialise JMX in premain).
    private static final long MBEAN_WAIT_MILLIS = 5_000;

    final long pid;
    private final VirtualMachine vm;
    private JMXConnector jmx;

    private LiveJvm(long pid, VirtualMachine vm) {
        this.pid = pid;
        this.vm = vm;
    }

    static LiveJvm attach(long pid) throws CliException {
        checkReachable(pid);
        try {
            return new LiveJvm(pid, VirtualMachine.attach(Long.toString(pid)));
        } catch (AttachNotSupportedException | IOException e) {
            throw attachFailure(pid, e);
        }
    }

    /** What /proc shows that no attach could overcome. */
    static void checkReachable(long pid) throws CliException {
        if (!Processes.exists(pid)) {
            throw new CliException(Main.ERROR, "portagent: no process with pid " + pid);
        }
        if (pid == ProcessHandle.current().pid()) {
            throw new CliException(Main.ERROR, "portagent: " + pid + " is this command itself");
        }
        if (!Processes.isJvm(pid)) {
            throw new CliException(Main.ERROR, "portagent: process " + pid + " is not a Java virtual machine: "
                    + Processes.commandText(pid));
        }
        int self = Processes.selfUid();
        int owner = Processes.uid(pid);
        if (self != 0 && owner != self) {
            throw otherUser(pid);
        }
        if (Boolean.TRUE.equals(Processes.flag(Processes.jvmOptions(pid), "DisableAttachMechanism"))) {
            throw attachDisabled(pid);
        }
    }

    private static CliException otherUser(long pid) {
        String user = Processes.user(pid);
        return new CliException(Main.ERROR, "portagent: JVM " + pid + " runs as user " + user
                + ", and only that user or root may attach to it: run this command as " + user + " (sudo -u " + user
                + " ...) or as root");
    }

    private static CliException attachDisabled(long pid) {
        return new CliException(Main.ERROR, "portagent: JVM " + pid + " was started with -XX:+DisableAttachMechanism,"
                + " so no tool can attach to it; start it with -javaagent:" + Main.jarText() + " instead");
    }

    static CliException dynamicLoadingDisabled(long pid) {
        return new CliException(Main.ERROR, "portagent: JVM " + pid + " was started with"
                + " -XX:-EnableDynamicAgentLoading, which forbids loading an agent into it while it runs;"
                + " start it with -javaagent:" + Main.jarText() + " instead, or without that flag");
    }

    private static CliException attachFailure(long pid, Exception e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("does not support the attach mechanism")) {
            return attachDisabled(pid);
        }
        if (message.contains("Operation not permitted") || message.contains("Permission denied")) {
            return otherUser(pid);
        }
        if (message.contains("respond within")) {
            return new CliException(Main.ERROR, "portagent: JVM " + pid + " does not answer the attach request:"
                    + " it may have been started with -XX:+DisableAttachMechanism, be busy or hung, or run in"
                    + " another container (" + message + ")");
        }
        return new CliException(Main.ERROR, "portagent: cannot attach to JVM " + pid + ": " + message);
    }

    /** Null when portagent can run in a JVM of this java.specification.version, else the line to show. */
    static String versionProblem(long pid, String specificationVersion, String javaVersion) {
        int feature = feature(specificationVersion);
        if (feature < 0) {
            return "portagent: JVM " + pid + " reports an unknown Java version \"" + specificationVersion + "\"";
        }
        return feature >= MINIMUM_FEATURE ? null : "portagent: JVM " + pid + " runs Java " + javaVersion
                + "; portagent needs Java " + MINIMUM_FEATURE + " or later";
    }

    /** 8 for "1.8", 17 for "17"; -1 for what is no version. */
    private static int feature(String specificationVersion) {
        try {
            String v = specificationVersion.startsWith("1.") ? specificationVersion.substring(2) : specificationVersion;
            return Integer.parseInt(v.split("\\.")[0]);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    int feature() throws CliException {
        return feature(systemProperties().getProperty("java.specification.version", "?"));
    }

    void checkVersion() throws CliException {
        Properties system = systemProperties();
        String problem = versionProblem(pid, system.getProperty("java.specification.version", "?"),
                system.getProperty("java.version", "?"));
        if (problem != null) {
            throw new CliException(Main.ERROR, problem);
        }
    }

    Properties systemProperties() throws CliException {
        try {
            return vm.getSystemProperties();
        } catch (IOException e) {
            throw noAnswer(e);
        }
    }

    Properties agentProperties() throws CliException {
        try {
            return vm.getAgentProperties();
        } catch (IOException e) {
            throw noAnswer(e);
        }
    }

    private CliException noAnswer(IOException e) {
        return new CliException(Main.ERROR, "portagent: JVM " + pid + " did not answer: " + e.getMessage());
    }

    /** The version of portagent recording in this JVM, or null when none is. */
    String portagentVersion() throws CliException {
        return agentProperties().getProperty(AgentProperties.VERSION);
    }

    void loadAgent(Path jar, String options) throws CliException {
        try {
            vm.loadAgent(jar.toString(), options);
        } catch (AgentLoadException e) {
            if (String.valueOf(e.getMessage()).contains("Dynamic agent loading is not enabled")) {
                throw dynamicLoadingDisabled(pid);
            }
            throw new CliException(Main.ERROR, "portagent: JVM " + pid + " could not load " + jar + ": " + e.getMessage());
        } catch (AgentInitializationException e) {
            throw new CliException(Main.ERROR, "portagent: the agent failed to start in JVM " + pid
                    + "; its reason is on that JVM's stderr (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw noAnswer(e);
        }
    }

    /** The portagent-report/1 JSON, from the MBean through the JVM's local management agent. */
    String report() throws CliException {
        try {
            MBeanServerConnection connection = connection();
            ObjectName name = new ObjectName(MBEAN);
            long deadline = System.currentTimeMillis() + MBEAN_WAIT_MILLIS;
            while (!connection.isRegistered(name)) {
                if (System.currentTimeMillis() > deadline) {
                    throw new CliException(Main.ERROR, "portagent: JVM " + pid + " has portagent loaded, but its MBean "
                            + MBEAN + " is not registered (started with jmx=false?)");
                }
                Thread.sleep(100);
            }
            return (String) connection.invoke(name, "report", new Object[0], new String[0]);
        } catch (JMException | IOException e) {
            throw new CliException(Main.ERROR, "portagent: cannot read " + MBEAN + " in JVM " + pid + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(Main.ERROR, "portagent: interrupted");
        }
    }

    private MBeanServerConnection connection() throws IOException, CliException {
        if (jmx == null) {
            String address = agentProperties().getProperty(LOCAL_CONNECTOR);
            if (address == null) {
                address = vm.startLocalManagementAgent();
            }
            jmx = JMXConnectorFactory.connect(new JMXServiceURL(address));
        }
        return jmx.getMBeanServerConnection();
    }

    /** Whether a JVM running as {@code pid}'s user can read the jar: a JVM opens the agent jar itself. */
    static boolean readableByOthers(Path jar) {
        for (Path p = jar.toAbsolutePath(); p != null; p = p.getParent()) {
            try {
                String mode = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                if (mode.charAt(p.equals(jar.toAbsolutePath()) ? 6 : 8) == '-') {
                    return false;
                }
            } catch (IOException | UnsupportedOperationException e) {
                return true; // cannot tell: let the JVM try
            }
        }
        return true;
    }

    @Override
    public void close() {
        try {
            if (jmx != null) {
                jmx.close();
            }
        } catch (IOException e) {
            // the JVM may have exited: nothing to release
        }
        try {
            vm.detach();
        } catch (IOException e) {
            // same
        }
    }
}
