package dev.portagent;

import dev.portagent.instrument.Instrumenter;
import dev.portagent.instrument.PortTransformer;
import dev.portagent.instrument.TransformCache;
import dev.portagent.options.AgentOptions;
import dev.portagent.options.OptionException;
import dev.portagent.registry.Reconciler;
import dev.portagent.registry.Registry;
import dev.portagent.registry.Warning;
import dev.portagent.report.ReportFiles;
import java.io.PrintStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/** Wires the pieces together once the options are known. */
final class Installer {

    private static final long DIGEST_MILLIS = 500;
    private static final long REST_AFTER_MILLIS = 1000;
    // Not an AtomicBoolean: its first compareAndSet links a VarHandle, a millisecond of premain.
    private static boolean claimed;

    private Installer() {
    }

    static void install(String args, Instrumentation inst, boolean attached, PrintStream err) throws Exception {
        AgentOptions options;
        try {
            options = AgentOptions.parse(args, systemProperties(), environment());
        } catch (OptionException e) {
            err.println(e.getMessage() + " (portagent is not installed; the application runs without it)");
            return;
        }
        if (options.help()) {
            err.print(AgentOptions.helpText());
            return;
        }
        // Every load of the agent jar names the same classes of the system class loader: two -javaagent
        // flags, or an attach to a JVM started with one. The first wins, whatever order their threads run in.
        if (!claim()) {
            if (options.verbose()) {
                err.println(alreadyInstalled(attached));
            }
            return;
        }
        // ProcessHandle's first use costs milliseconds of start-up (an executor, lambdas): only when a file name needs the pid.
        long pid = options.report() != null || options.summary(0) != null ? ProcessHandle.current().pid() : 0;
        Path reportPath = options.reportPath(pid);
        String summary = options.summary(pid);
        Installation installation = new Installation(
                new Installation.OfAgent(inst, options, reportPath, summary, attached, err), Installation.WAIT_MILLIS, err);
        // Weaves nothing before the installation is made: it asks for it at the first socket class.
        PortTransformer transformer = new PortTransformer(options.cache() ? TransformCache.forThisUser() : null,
                installation);
        inst.addTransformer(transformer, true);
        Start start = new Start(inst, options, installation, transformer, reportPath,
                attached ? null : Thread.currentThread(), err);
        if (reportPath != null || summary != null) {
            // Now, not on the start thread: a program may end before that thread has run, and its report is still due.
            Runtime.getRuntime().addShutdownHook(new Thread(new ExitReport(installation, start), "portagent-exit-report"));
        }
        if (options.verbose()) {
            err.println("portagent " + version() + ": recording ports" + (attached ? " (attached)" : "")
                    + (reportPath != null ? "; report to " + reportPath : ""));
        }
        if (attached) {
            start.run();
        } else {
            // Everything else is done on a thread of its own: premain delays the application's main.
            Thread starter = new Thread(start, "portagent-start");
            starter.setDaemon(true);
            starter.start();
        }
    }

    /**
     * The installation unless a socket class came first and the agent properties; then, after a -javaagent a
     * second later (out of the application's busiest moment, where it only competed with the application's
     * threads for the CPUs), after an attach at once, the rest: the JDK's socket classes loaded before the
     * transformer, the agent's thread, digests, /proc scans, the MBean, periodic reports. Nothing of it is
     * needed sooner: past {@code Registry.DIGEST_NOW} raw stacks the socket threads digest them, and a report
     * at exit wires the /proc scan itself. {@code main} is the thread that will run the application's main,
     * or null after an attach.
     */
    private static final class Start implements Runnable {
        private final Instrumentation inst;
        private final AgentOptions options;
        private final Installation installation;
        private final PortTransformer transformer;
        private final Path reportPath;
        private final Thread main;
        private final PrintStream err;
        // Made by the rest, or by the exit report when the JVM ends first: one either way. Guarded by this.
        private boolean reconcilerMade;
        private Reconciler reconciler;

        Start(Instrumentation inst, AgentOptions options, Installation installation, PortTransformer transformer,
              Path reportPath, Thread main, PrintStream err) {
            this.inst = inst;
            this.options = options;
            this.installation = installation;
            this.transformer = transformer;
            this.reportPath = reportPath;
            this.main = main;
            this.err = err;
        }

        @Override
        public void run() {
            Installation.Installed installed = installation.get();
            if (installed == null) {
                return;
            }
            try {
                // The command line tells from these whether the agent is already recording here.
                AgentProperties.publish(inst, Map.of(AgentProperties.VERSION, version(),
                        AgentProperties.LOADED_BY, main == null ? "attach" : "-javaagent",
                        AgentProperties.OPTIONS, changedOptions(options)));
                if (main != null) {
                    Thread.sleep(REST_AFTER_MILLIS);
                }
                rest(installed);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                err.println("portagent: part of the agent did not start (ports are still recorded): " + t);
            }
        }

        private void rest(Installation.Installed installed) throws Exception {
            try {
                Instrumenter.weaveLoaded(inst, transformer);
            } catch (Throwable t) {
                err.println("portagent: the JDK's socket classes loaded before the agent could not be instrumented"
                        + " (their sockets are found only by the /proc scan): " + t);
            }
            if (reportPath != null) {
                // Here, not in premain: the probe file's random name initialises SecureRandom and the security
                // properties, milliseconds, and on JDK 25 that loads SocketChannelImpl (its file channel's stream).
                String problem = ReportFiles.problem(reportPath);
                if (problem != null) {
                    err.println("portagent: report=" + options.report() + " cannot be written: " + problem
                            + "; recording anyway, and trying again at exit");
                }
            }
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(new AgentThread());
            Registry registry = installed.registry();
            legacyImplWarnings(registry, err);
            scheduler.scheduleWithFixedDelay(registry::digest, DIGEST_MILLIS, DIGEST_MILLIS, TimeUnit.MILLISECONDS);
            registry.digestSoonWith(() -> scheduler.execute(registry::digest));
            Reconciler r = reconciler(installed);
            if (r != null) {
                // JMX reads do not wait for /proc: a pass they ask for runs on the agent's thread (see
                // Registry.snapshot()).
                registry.reconcileWith(maxAge -> r.reconcileIfOlderThan(maxAge, scheduler));
                r.reconcileAtStart();
                int seconds = options.reconcileSeconds();
                if (seconds > 0) {
                    Reconciler.Later later = (task, delay) -> scheduler.schedule(task, delay, TimeUnit.MILLISECONDS);
                    scheduler.scheduleWithFixedDelay(() -> r.scan(later), seconds, seconds, TimeUnit.SECONDS);
                }
            }
            installed.jmx().start(scheduler, main, version(), err);
            if (installed.reports() != null && options.report() != null && options.reportIntervalSeconds() > 0) {
                scheduler.scheduleWithFixedDelay(installed.reports().periodic(), options.reportIntervalSeconds(),
                        options.reportIntervalSeconds(), TimeUnit.SECONDS);
            }
        }

        /**
         * Sockets no hook saw: those open before the hooks, native ones periodically and for each report or read.
         * Made once, by the rest or by a report at exit, and wired into the registry at once for reports; the
         * rest wires it again so that JMX reads do not wait for /proc.
         */
        synchronized Reconciler reconciler(Installation.Installed installed) {
            if (!reconcilerMade) {
                reconcilerMade = true;
                Registry registry = installed.registry();
                Reconciler made = new Reconciler(registry, installed.jdk()::fdVal, Reconciler.PROC,
                        System::currentTimeMillis);
                if (made.available()) {
                    made.openBeforeHooks(installed.openBeforeHooks());
                    registry.reconcileWith(made::reconcileIfOlderThan);
                    reconciler = made;
                } else {
                    String message = "/proc/self/fd or /proc/net/tcp cannot be read (not Linux?): sockets opened"
                            + " before portagent was loaded or outside java.net and java.nio are not reported";
                    registry.warn(Warning.RECONCILE_UNAVAILABLE, message, 0);
                    if (options.verbose()) {
                        err.println("portagent: " + message);
                    }
                }
            }
            return reconciler;
        }
    }

    private record ExitReport(Installation installation, Start start) implements Runnable {
        @Override
        public void run() {
            Installation.Installed installed = installation.getWithinWait("the JVM exits without a report");
            if (installed != null && installed.reports() != null) {
                start.reconciler(installed); // the /proc scan, should the rest not have run yet
                installed.reports().writeOnExit();
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

    static String alreadyInstalled(boolean attached) {
        return "portagent: already installed in this JVM; this " + (attached ? "attach" : "-javaagent") + " changes nothing";
    }

    private static synchronized boolean claim() {
        boolean first = !claimed;
        claimed = true;
        return first;
    }

    static String version() {
        String v = Installer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static Map<String, String> environment() {
        Map<String, String> map = new HashMap<>();
        for (Map.Entry<String, String> variable : System.getenv().entrySet()) {
            if (variable.getKey().startsWith("PORTAGENT_")) {
                map.put(variable.getKey(), variable.getValue());
            }
        }
        return map;
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
