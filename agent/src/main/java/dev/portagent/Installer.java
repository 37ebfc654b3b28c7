package dev.portagent;

import dev.portagent.instrument.BootstrapInjector;
import dev.portagent.instrument.Instrumenter;
import dev.portagent.jmx.Jmx;
import dev.portagent.options.AgentOptions;
import dev.portagent.options.OptionException;
import dev.portagent.proc.EphemeralRange;
import dev.portagent.registry.JdkSockets;
import dev.portagent.registry.Reconciler;
import dev.portagent.registry.Registry;
import dev.portagent.registry.Warning;
import dev.portagent.report.JsonReport;
import dev.portagent.report.ReportFiles;
import dev.portagent.report.ReportService;
import java.io.PrintStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** Wires the pieces together once the options are known. */
final class Installer {

    private static final long DIGEST_MILLIS = 500;

    private Installer() {
    }

    static void install(String args, Instrumentation inst, boolean attached, PrintStream err) throws Exception {
        AgentOptions options;
        try {
            options = AgentOptions.parse(args, systemProperties(), System.getenv());
        } catch (OptionException e) {
            err.println(e.getMessage() + " (portagent is not installed; the application runs without it)");
            return;
        }
        if (options.help()) {
            err.print(AgentOptions.helpText());
            return;
        }
        // ProcessHandle's first use costs milliseconds of start-up (an executor, lambdas): only when a file name needs the pid.
        long pid = options.report() != null || options.summary(0) != null ? ProcessHandle.current().pid() : 0;
        Path reportPath = options.reportPath(pid);
        if (reportPath != null) {
            String problem = ReportFiles.problem(reportPath);
            if (problem != null) {
                err.println("portagent: report=" + options.report() + " cannot be written: " + problem
                        + "; recording anyway, and trying again at exit");
            }
        }

        // First of all: nothing that names a bootstrap class may load before the boot loader has them.
        BootstrapInjector.inject(inst, Installer.class.getClassLoader());
        EphemeralRange range = EphemeralRange.read();
        JdkSockets jdk = Instrumenter.openJdk(inst);
        Registry registry = new Registry(range, options.stackDepth(), options.history(), new HookFailures(),
                Instrumenter.openStacks(inst));
        // Before the hooks: pressure and notifications must see every socket.
        Jmx jmx = Jmx.observe(registry, options);
        if (!Instrumenter.install(inst, registry, jdk, options.stackDepth(), options.stackRate(), options.accepted(),
                options.cache())) {
            if (options.verbose()) {
                err.println("portagent: already installed in this JVM; this " + (attached ? "attach" : "-javaagent")
                        + " changes nothing");
            }
            return;
        }
        String summary = options.summary(pid);
        ReportService reports = null;
        if (reportPath != null || summary != null) {
            // Now, not in the rest: a program may end before the rest has run, and its report is still due.
            reports = new ReportService(registry, JsonReport.Header.ofThisJvm(version(), options.effective()),
                    reportPath, options.htmlReport(), summary, err);
            reports.installShutdownHook();
        }
        Rest rest = new Rest(inst, options, registry, jdk, jmx, reports, attached ? null : Thread.currentThread(), err);
        if (attached) {
            rest.run();
        } else {
            // What the hooks do not need is done on a thread of its own: premain delays the application's main.
            Thread starter = new Thread(rest, "portagent-start");
            starter.setDaemon(true);
            starter.start();
        }
        if (options.verbose()) {
            err.println("portagent " + version() + ": recording ports" + (attached ? " (attached)" : "")
                    + "; ephemeral range " + range.low() + "-" + range.high() + " from " + range.source()
                    + (reportPath != null ? "; report to " + reportPath : ""));
        }
    }

    /**
     * Everything the hooks do not need: the agent's thread, digests, /proc scans, the MBean, periodic
     * reports, the agent properties. {@code main} is the thread that will run the application's main,
     * or null after an attach.
     */
    private record Rest(Instrumentation inst, AgentOptions options, Registry registry, JdkSockets jdk, Jmx jmx,
                        ReportService reports, Thread main, PrintStream err) implements Runnable {
        @Override
        public void run() {
            try {
                ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(new AgentThread());
                legacyImplWarnings(registry, err);
                scheduler.scheduleWithFixedDelay(registry::digest, DIGEST_MILLIS, DIGEST_MILLIS, TimeUnit.MILLISECONDS);
                registry.digestSoonWith(() -> scheduler.execute(registry::digest));
                reconcile(options, registry, jdk, scheduler, err);
                jmx.start(scheduler, main, version(), err);
                if (reports != null && options.report() != null && options.reportIntervalSeconds() > 0) {
                    scheduler.scheduleWithFixedDelay(reports.periodic(), options.reportIntervalSeconds(),
                            options.reportIntervalSeconds(), TimeUnit.SECONDS);
                }
                AgentProperties.publish(inst, Map.of(AgentProperties.VERSION, version(),
                        AgentProperties.LOADED_BY, main == null ? "attach" : "-javaagent",
                        AgentProperties.OPTIONS, changedOptions(options)));
            } catch (Throwable t) {
                err.println("portagent: part of the agent did not start (ports are still recorded): " + t);
            }
        }
    }

    private static final class AgentThread implements ThreadFactory {
        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "portagent");
            t.setDaemon(true);
            return t;
        }
    }

    // A class, not a method reference: premain spins no lambda of its own.
    private static final class HookFailures implements LongSupplier {
        @Override
        public long getAsLong() {
            return Instrumenter.hookFailures();
        }
    }

    /** Sockets no hook saw: those open before we were loaded now, native ones periodically and for each report. */
    private static void reconcile(AgentOptions options, Registry registry, JdkSockets jdk,
                                  ScheduledExecutorService scheduler, PrintStream err) {
        Reconciler reconciler = new Reconciler(registry, jdk::fdVal, Reconciler.PROC, System::currentTimeMillis);
        if (!reconciler.available()) {
            String message = "/proc/self/fd or /proc/net/tcp cannot be read (not Linux?): sockets opened before"
                    + " portagent was loaded or outside java.net and java.nio are not reported";
            registry.warn(Warning.RECONCILE_UNAVAILABLE, message, 0);
            if (options.verbose()) {
                err.println("portagent: " + message);
            }
            return;
        }
        reconciler.reconcile();
        // JMX reads do not wait for /proc: a pass they ask for runs on the agent's thread (see Registry.snapshot()).
        registry.reconcileWith(maxAge -> reconciler.reconcileIfOlderThan(maxAge, scheduler));
        int seconds = options.reconcileSeconds();
        if (seconds > 0) {
            Reconciler.Later later = (task, delay) -> scheduler.schedule(task, delay, TimeUnit.MILLISECONDS);
            scheduler.scheduleWithFixedDelay(() -> reconciler.scan(later), seconds, seconds, TimeUnit.SECONDS);
        }
    }

    /**
     * JDK 17 can still be told to use the old PlainSocketImpl / PlainDatagramSocketImpl, which bypass
     * sun.nio.ch entirely; their sockets are invisible to our hooks.
     */
    private static void legacyImplWarnings(Registry registry, PrintStream err) {
        if (Runtime.version().feature() >= 18) {
            return;
        }
        for (String property : new String[] {"jdk.net.usePlainSocketImpl", "jdk.net.usePlainDatagramSocketImpl"}) {
            String value = System.getProperty(property);
            if (value != null && !value.equalsIgnoreCase("false")) {
                String message = "-D" + property + " makes JDK 17 use its legacy socket implementation, which"
                        + " bypasses portagent's hooks: " + (property.contains("Datagram") ? "DatagramSocket and MulticastSocket"
                        : "Socket and ServerSocket") + " ports are found only by the /proc scan, as origin native, without stacks";
                registry.warn(Warning.LEGACY_SOCKET_IMPL, message, 0);
                err.println("portagent: " + message);
            }
        }
    }

    /** The options that differ from the defaults, as they would be written after -javaagent:portagent.jar=. */
    private static String changedOptions(AgentOptions options) {
        StringBuilder text = new StringBuilder();
        options.effective().forEach((key, value) -> {
            if (!java.util.Objects.equals(value, AgentOptions.defaults().effective().get(key))) {
                text.append(text.length() == 0 ? "" : ",").append(key).append('=').append(value);
            }
        });
        return text.length() == 0 ? "defaults" : text.toString();
    }

    static String version() {
        String v = Installer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static Map<String, String> systemProperties() {
        Map<String, String> map = new HashMap<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("portagent.")) {
                map.put(name, System.getProperty(name));
            }
        }
        return map;
    }
}
