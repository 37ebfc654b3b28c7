package dev.portagent.cli;

import static dev.portagent.cli.CliHarness.JAR;
import static dev.portagent.cli.CliHarness.assumeInstalled;
import static dev.portagent.cli.CliHarness.json;
import static dev.portagent.cli.CliHarness.sockets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portagent.cli.CliHarness.Child;
import dev.portagent.cli.apps.NettyEpollApp;
import dev.portagent.proc.ProcNet;
import dev.portagent.registry.Reconciler;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Sockets made by native code, which no hook sees, are found in /proc and reported with origin native. */
class NativeSocketsIT {

    @TempDir
    Path dir;

    @ParameterizedTest
    @MethodSource("dev.portagent.cli.CliHarness#jdks")
    void nettyEpollSocketsAreNative(Path jdk) throws Exception {
        assumeInstalled(jdk);
        Path reportFile = dir.resolve("netty.json");
        try (Child app = Child.jvm(jdk, List.of("-javaagent:" + JAR + "=report=" + reportFile), NettyEpollApp.class)) {
            String ready = app.expect("ready");
            int server = Integer.parseInt(Child.field(ready, "server"));
            int client = Integer.parseInt(Child.field(ready, "client"));
            var held = ProcNet.socketsOf(app.pid()).stream()
                    .map(s -> tuple(s.protocol(), s.localPort(), s.remotePort())).toList();

            app.send("exit");

            // On 25 the JDK warns about Netty's System.loadLibrary; nothing else may appear.
            assertThat(CliHarness.notJdkWarnings(app.awaitExit())).isEmpty();
            JsonNode report = json(reportFile);
            List<JsonNode> open = sockets(report).stream().filter(s -> s.path("state").asText().equals("open")).toList();
            assertThat(open).extracting(s -> s.path("protocol").asText(), s -> s.path("localPort").asInt(),
                    s -> s.path("remotePort").asInt()).as("the report's open sockets are those /proc shows")
                    .containsExactlyInAnyOrderElementsOf(held);
            assertThat(open).extracting(s -> s.path("role").asText(), s -> s.path("localPort").asInt(),
                            s -> s.path("remotePort").asInt(), s -> s.path("origin").asText(), s -> s.path("site").asText())
                    .containsExactlyInAnyOrder(
                            tuple("listen", server, 0, "native", Reconciler.NATIVE_SITE),
                            tuple("connect", client, server, "native", Reconciler.NATIVE_SITE),
                            tuple("accept", server, client, "native", Reconciler.NATIVE_SITE));
            assertThat(report.path("summary").path("origins").path("native").asInt()).isEqualTo(3);
        }
    }
}
