package dev.portagent.jmx;

import dev.portagent.options.AgentOptions;
import dev.portagent.registry.Registry;
import dev.portagent.registry.RegistryObserver;
import dev.portagent.registry.SocketView;
import dev.portagent.registry.Warning;
import dev.portagent.report.JsonReport;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Ephemeral-port pressure and the {@code dev.portagent:type=Ports} MBean. Runs on the agent's
 * scheduler thread and on the registry's digester; on the application's socket path only pressure's
 * counting, which takes no lock.
 *
 * <p>Registration waits until the application's main has run for {@link #AFTER_MAIN_MILLIS}: the
 * platform MBeanServer initialises java.util.logging, and an application that sets
 * {@code java.util.logging.manager} itself in main (WildFly does) fails if that happened before.
 * This class and what premain loads of this package therefore name no javax.management type.
 */
public final class Jmx implements RegistryObserver {

    /** The warning type in the report and in Warnings when pressure reaches warnAt. */
    public static final String EPHEMERAL_PRESSURE = "EPHEMERAL_PORT_PRESSURE";

    static final long AFTER_MAIN_MILLIS = 1000;
    static final long POLL_MILLIS = 100;
    // A launcher whose main thread never shows an application main: register anyway, late.
    static final long GIVE_UP_MILLIS = 10_000;
    static final long PRESSURE_CHECK_MILLIS = 1000;

    private final Registry registry;
    private final AgentOptions options;
    private final EphemeralPressure pressure;
    // Asked on every socket's open and close: a field, not the options' map.
    private final boolean notifyAll;
    private volatile Notifier notifier = Notifier.NONE;
    private boolean above; // only the scheduler thread reads and writes it

    Jmx(Registry registry, AgentOptions options) {
        this.registry = registry;
        this.options = options;
        this.pressure = new EphemeralPressure(registry.ephemeralRange().size());
        this.notifyAll = options.notifyMode() == AgentOptions.Notify.ALL;
    }

    /** Observes the registry from now on: call before the hooks record anything, or pressure misses those sockets. */
    public static Jmx observe(Registry registry, AgentOptions options) {
        Jmx jmx = new Jmx(registry, options);
        registry.observe(jmx);
        return jmx;
    }

    /**
     * Checks pressure periodically and, unless {@code jmx=false}, registers the MBean from the
     * scheduler once {@code main} has run the application's main a while (at once when it is null:
     * an attach, long after main started).
     */
    public void start(ScheduledExecutorService scheduler, Thread main, String agentVersion, PrintStream err) {
        scheduler.scheduleWithFixedDelay(() -> checkPressure(System.currentTimeMillis()), PRESSURE_CHECK_MILLIS,
                PRESSURE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        if (options.jmx()) {
            Registration registration = new Registration(this, main, agentVersion, scheduler, err);
            registration.future = scheduler.scheduleWithFixedDelay(registration, POLL_MILLIS, POLL_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
    }

    // --- RegistryObserver ----------------------------------------------------------------------------

    @Override
    public boolean wants(boolean udp, String role, boolean ephemeral) {
        // Pressure is told of connections without views (connectionOpened): views are for notify=all only.
        return notifyAll;
    }

    @Override
    public Object connectionOpened(InetAddress remote, boolean ipv6Socket, int remotePort) {
        return pressure.opened(remote, ipv6Socket, remotePort);
    }

    @Override
    public void connectionClosed(Object connection, long closedAt, boolean failed) {
        EphemeralPressure.closed((EphemeralPressure.Destination) connection, closedAt, failed);
    }

    @Override
    public void opened(SocketView socket) {
        notifier.socketOpened(socket);
    }

    @Override
    public void closed(SocketView socket) {
        notifier.socketClosed(socket);
    }

    @Override
    public void warned(Warning warning) {
        notifier.warning(warning);
    }

    // --- pressure ----------------------------------------------------------------------------------

    EphemeralPressure.Worst pressure(long now) {
        return pressure.worst(now);
    }

    /** Warns and notifies when the pressure reaches warnAt, and notifies once when it falls back. */
    void checkPressure(long now) {
        EphemeralPressure.Worst w = pressure.worst(now);
        int warnAt = options.warnAtPercent();
        if (!above && w.percent() >= warnAt) {
            above = true;
            registry.warn(EPHEMERAL_PRESSURE, String.format(Locale.ROOT, "ephemeral-port pressure towards %s "
                    + "reached %.1f%% of the OS range %d-%d (%d of %d ports: %d open connections and %d closed less "
                    + "than 60 s ago, which TIME_WAIT may still hold); at 100%% new connections to it fail with "
                    + "\"Cannot assign requested address\"", w.destination(), w.percent(),
                    registry.ephemeralRange().low(), registry.ephemeralRange().high(), w.held(), w.rangeSize(),
                    w.open(), w.recentlyClosed()), 0);
            notifier.pressure(w, true);
        } else if (above && w.percent() < warnAt) {
            above = false;
            notifier.pressure(w, false);
        }
    }

    void notifier(Notifier n) {
        notifier = n;
    }

    // --- late registration -------------------------------------------------------------------------

    /** Polls the main thread until the application's main has run a while, then registers once. */
    static final class Registration implements Runnable {
        private final Jmx jmx;
        private final Thread main;
        private final String agentVersion;
        private final ScheduledExecutorService scheduler;
        private final PrintStream err;
        private final long started = System.nanoTime();
        private long mainSeen;
        private boolean done;
        volatile ScheduledFuture<?> future;

        Registration(Jmx jmx, Thread main, String agentVersion, ScheduledExecutorService scheduler, PrintStream err) {
            this.jmx = jmx;
            this.main = main;
            this.agentVersion = agentVersion;
            this.scheduler = scheduler;
            this.err = err;
        }

        @Override
        public void run() {
            if (done || !ready(System.nanoTime())) {
                return;
            }
            done = true;
            ScheduledFuture<?> f = future;
            if (f != null) {
                f.cancel(false);
            }
            register();
        }

        boolean ready(long now) {
            if (main == null || !main.isAlive()) {
                return true;
            }
            if (mainSeen == 0 && runsApplicationMain(main.getStackTrace())) {
                mainSeen = now;
            }
            return mainSeen != 0 ? now - mainSeen >= TimeUnit.MILLISECONDS.toNanos(AFTER_MAIN_MILLIS)
                    : now - started >= TimeUnit.MILLISECONDS.toNanos(GIVE_UP_MILLIS);
        }

        /**
         * The launcher calls main from native code, so main is the bottom frame once it runs; before,
         * the bottom frame is an agent's premain or the launcher loading the main class.
         */
        static boolean runsApplicationMain(StackTraceElement[] stack) {
            if (stack.length == 0) {
                return false;
            }
            StackTraceElement bottom = stack[stack.length - 1];
            return bottom.getMethodName().equals("main") && !bottom.getClassName().startsWith("sun.");
        }

        private void register() {
            AgentOptions options = jmx.options;
            try {
                JsonReport.Header header = JsonReport.Header.ofThisJvm(agentVersion, options.effective());
                Path report = options.reportPath(header.pid());
                Path directory = report != null ? report.toAbsolutePath().getParent() : Path.of("").toAbsolutePath();
                jmx.notifier(PortsMBean.register(jmx.registry, jmx::pressure, options, header, directory, scheduler));
                if (options.verbose()) {
                    err.println("portagent: MBean " + PortsMBean.OBJECT_NAME + " registered");
                }
            } catch (Throwable t) {
                err.println("portagent: the MBean " + PortsMBean.OBJECT_NAME + " is not registered (" + t
                        + "); ports are still recorded and reported");
            }
        }
    }
}
