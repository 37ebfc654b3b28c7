package dev.portagent.cli;

import static dev.portagent.cli.Cli.TIMEOUT;
import static dev.portagent.cli.Cli.app;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portagent.cli.apps.NettyEpollApp;
import dev.portagent.e2e.ChildJvm;
import dev.portagent.e2e.Jdk;
import dev.portagent.e2e.Report;
import dev.portagent.e2e.SocketsAssert;
import dev.portagent.registry.Reconciler;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.MatchResult;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Sockets made by native code, which no hook sees, are found in /proc and reported with origin native. */
class NativeSocketsIT {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.portagent.e2e.Jdks#all")
    void nettyEpollSocketsAreNative(Jdk jdk) {
        jdk.assumePresent();
        Path reportFile = dir.resolve("netty.json");
        try (ChildJvm app = app(jdk, NettyEpollApp.class).classpath(ChildJvm.libs("netty-"))
                .agent("report=" + reportFile).start()) {
            MatchResult ready = app.nextLine("^ready server=(\\d+) client=(\\d+)$", TIMEOUT);
            int server = Integer.parseInt(ready.group(1));
            int client = Integer.parseInt(ready.group(2));
            var held = SocketsAssert.heldBy(app.pid()).stream()
                    .map(s -> tuple(s.protocol(), s.localPort(), s.remotePort())).toList();

            app.send("exit");

            app.awaitExit(TIMEOUT);
            // On 25 the JDK warns about Netty's System.loadLibrary; nothing else may appear.
            assertThat(Cli.notJdkWarnings(app.stderr())).isEmpty();
            Report report = Report.read(reportFile);
            List<JsonNode> open = report.open();
            assertThat(open).extracting(s -> s.path("protocol").asText(), s -> s.path("localPort").asInt(),
                    s -> s.path("remotePort").asInt()).as("the report's open sockets are those /proc shows")
                    .containsExactlyInAnyOrderElementsOf(held);
            assertThat(open).extracting(s -> s.path("role").asText(), s -> s.path("localPort").asInt(),
                            s -> s.path("remotePort").asInt(), s -> s.path("origin").asText(), s -> s.path("site").asText())
                    .containsExactlyInAnyOrder(
                            tuple("listen", server, 0, "native", Reconciler.NATIVE_SITE),
                            tuple("connect", client, server, "native", Reconciler.NATIVE_SITE),
                            tuple("accept", server, client, "native", Reconciler.NATIVE_SITE));
            assertThat(report.json().path("summary").path("origins").path("native").asInt()).isEqualTo(3);
        }
    }
}
