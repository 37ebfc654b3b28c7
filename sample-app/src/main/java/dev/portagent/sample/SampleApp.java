package dev.portagent.sample;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A small application that uses ports the way real ones do, each part in a class named for what it
 * shows, so that the report's site column reads as a story. Run it with the agent:
 *
 * <pre>java -javaagent:agent/target/portagent.jar=report=ports.json -jar sample-app/target/sample-app.jar</pre>
 */
public final class SampleApp {

    public static void main(String[] args) throws Exception {
        Duration runFor = Duration.ofSeconds(3);
        boolean forever = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--forever" -> forever = true;
                case "--seconds" -> runFor = Duration.ofSeconds(Long.parseLong(args[++i]));
                default -> {
                    System.err.println("usage: sample-app [--seconds N | --forever]");
                    System.exit(2);
                }
            }
        }

        try (EphemeralListener http = EphemeralListener.start();
             FixedPortInEphemeralRange fixed = FixedPortInEphemeralRange.start();
             UdpSender udp = UdpSender.start();
             AsyncChannelPair async = AsyncChannelPair.start()) {
            PooledHttpClient pooled = new PooledHttpClient(http.uri());
            ChurningClient churning = new ChurningClient(http.port());
            LeakyConnections.leak(fixed.port(), 3);

            long pid = ProcessHandle.current().pid();
            System.out.println("sample-app (pid " + pid + "): HTTP server on port " + http.port()
                    + ", fixed-port server on " + fixed.port() + ", " + (forever ? "running until stopped" : "running for " + runFor.toSeconds() + " s"));
            System.out.println("try: jconsole " + pid + "   or   java -jar agent/target/portagent.jar ports " + pid);

            Instant end = forever ? Instant.MAX : Instant.now().plus(runFor);
            int round = 0;
            while (Instant.now().isBefore(end)) {
                pooled.get();
                churning.request();
                udp.send("round " + round++);
                async.ping();
            }
            System.out.println("sample-app: " + round + " rounds of requests; exiting (the report is written now)");
        }
    }

    static List<String> parts() {
        return List.of("EphemeralListener", "FixedPortInEphemeralRange", "PooledHttpClient", "ChurningClient",
                "UdpSender", "LeakyConnections", "AsyncChannelPair");
    }
}
