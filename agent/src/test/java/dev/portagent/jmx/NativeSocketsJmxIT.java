package dev.portagent.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.portagent.cli.apps.NettyEpollApp;
import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.Jdk;
import dev.portagent.e2e.SocketsAssert;
import dev.portagent.registry.Reconciler;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.MatchResult;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A JMX read does not wait for a /proc scan, yet what JMX shows converges on what /proc shows, also for
 * sockets no hook saw (Netty's epoll transport): the scan a read asks for runs on the agent's thread.
 */
class NativeSocketsJmxIT {

    private static final ObjectName NAME = PortsMBeanIT.NAME;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void openSocketsInJmxAreThoseProcShowsNativeOnesIncluded(Jdk jdk) throws Exception {
        jdk.assumePresent();
        try (ChildJvm app = ChildJvm.on(jdk).directory(dir).agent().classpath(ChildJvm.testClasspath())
                .classpath(ChildJvm.libs("netty-")).mainClass(NettyEpollApp.class).start();
             BareJmx bare = new BareJmx(app)) {
            MatchResult ready = app.nextLine("^ready server=(\\d+) client=(\\d+)$", BareJmx.PATIENCE);
            int server = Integer.parseInt(ready.group(1));
            int client = Integer.parseInt(ready.group(2));
            MBeanServerConnection jmx = bare.connection();
            await().atMost(BareJmx.PATIENCE).until(() -> jmx.isRegistered(NAME));

            // Within the staleness the MBean states (plus a native socket's confirmation), reads repeated.
            await().atMost(BareJmx.PATIENCE).untilAsserted(() -> {
                List<Tuple> held = SocketsAssert.heldBy(app.pid()).stream()
                        .map(s -> tuple(s.protocol(), s.localPort(), s.remotePort())).toList();
                assertThat(open(jmx)).extracting(s -> tuple(s.get("protocol"), s.get("localPort"), remotePort(s)))
                        .containsExactlyInAnyOrderElementsOf(held);
            });
            assertThat(open(jmx)).filteredOn(s -> "native".equals(s.get("origin")))
                    .extracting(s -> s.get("role"), s -> s.get("localPort"), s -> s.get("site"))
                    .containsExactlyInAnyOrder(
                            tuple("listen", server, Reconciler.NATIVE_SITE),
                            tuple("connect", client, Reconciler.NATIVE_SITE),
                            tuple("accept", server, Reconciler.NATIVE_SITE));

            app.send("exit");
            app.awaitExit(BareJmx.PATIENCE);
        }
    }

    private static List<CompositeData> open(MBeanServerConnection jmx) throws Exception {
        return Arrays.asList((CompositeData[]) jmx.getAttribute(NAME, "OpenSockets"));
    }

    private static int remotePort(CompositeData s) {
        Object port = s.get("remotePort");
        return port == null ? 0 : (Integer) port;
    }
}
