package dev.portagent.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.tools.attach.VirtualMachine;
import dev.portagent.e2e.ChildJvm;
import java.io.Closeable;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import javax.management.MBeanServerConnection;

/**
 * The JMX view of a child JVM that JConsole has: its local management agent, started by attach, and a
 * client that has none of portagent's classes, so that whatever the MBean sends must do without them.
 */
final class BareJmx implements AutoCloseable {

    // A bound for waiting on the child, not a timing assertion: a healthy child answers at once.
    static final Duration PATIENCE = Duration.ofSeconds(60);

    private final long pid;
    private MBeanServerConnection connection;

    /** Connects on the first {@link #connection()}, once the test knows the child is up. */
    BareJmx(ChildJvm child) {
        this.pid = child.pid();
    }

    MBeanServerConnection connection() throws Exception {
        if (connection == null) {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            String address;
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
            ClassLoader bare = new URLClassLoader(new URL[] {ChildJvm.testClasspath().toUri().toURL()},
                    ClassLoader.getPlatformClassLoader());
            assertThatThrownBy(() -> Class.forName("dev.portagent.registry.SocketView", false, bare))
                    .as("the JMX client must not see portagent's classes").isInstanceOf(ClassNotFoundException.class);
            connection = (MBeanServerConnection) Class.forName("dev.portagent.jmx.bare.BareJmxClient", true, bare)
                    .getMethod("connect", String.class).invoke(null, address);
            assertThat(connection.getClass().getClassLoader()).isSameAs(bare);
        }
        return connection;
    }

    @Override
    public void close() {
        if (connection != null) {
            try {
                ((Closeable) connection).close();
            } catch (IOException ignored) {
                // the child may be gone already
            }
        }
    }
}
