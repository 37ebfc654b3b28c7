package dev.portagent;

import dev.portagent.instrument.BootstrapInjector;
import dev.portagent.instrument.Instrumenter;
import dev.portagent.instrument.Libraries;
import dev.portagent.jmx.Jmx;
import dev.portagent.options.AgentOptions;
import dev.portagent.proc.EphemeralRange;
import dev.portagent.proc.ProcFds;
import dev.portagent.registry.JdkSockets;
import dev.portagent.registry.Registry;
import dev.portagent.report.JsonReport;
import dev.portagent.report.ReportService;
import java.io.PrintStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * What the hooks need: the bootstrap classes, the registry, the recorder connected to the hooks. Made
 * once, by whichever comes first: the agent's start thread, the first thread that loads one of the
 * JDK's socket classes (the transformer asks before it weaves), or the exit report. premain only parses
 * the options and adds the transformer, so a JVM does not wait for any of this before its main, and
 * one that never opens a socket may never pay for it on its main thread.
 *
 * <p>A thread that loads a socket class while another makes the installation waits for it, inside the
 * JVM's class loading. That cannot deadlock as long as making it loads no socket class itself (it
 * does not: the JDK's socket classes are looked up only when a socket event needs them) and
 * initialises no class whose initialiser opens a socket: the loading thread holds nothing else the
 * installation could need. Should it ever load one anyway, on its own thread, {@link #getAsBoolean}
 * answers rather than waiting for itself. One case is left, and bounded: a system class loader that is
 * not parallel capable and opens a socket inside loadClass holds the lock the installation needs to load
 * the agent's classes; the loading thread then gives up after {@link #WAIT_MILLIS}, leaves its class
 * as it is, and the start thread weaves it once the installation is made.
 */
final class Installation implements BooleanSupplier {

    /**
     * What the rest of the agent uses; reports is null unless asked for, openBeforeHooks (socket inodes)
     * null after an attach or where /proc cannot tell.
     */
    record Installed(Registry registry, JdkSockets jdk, Jmx jmx, ReportService reports, Set<Long> openBeforeHooks) {
    }

    /**
     * How long a thread that loads a socket class, or the exit report, waits at most for the installation
     * another thread is making: far beyond what it takes (tens of milliseconds), reached only in the case above.
     */
    static final long WAIT_MILLIS = 10_000;

    /** Makes the installation; tells {@code bootClassesIn} as soon as the boot loader has the hooks. */
    interface Maker {
        Installed make(Runnable bootClassesIn) throws Exception;
    }

    private final Maker maker;
    private final long waitMillis;
    private final PrintStream err;
    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock. The two volatile ones are also read without it, by the thread that is installing.
    private boolean tried;
    private Installed installed;
    private volatile Thread installing;
    private volatile boolean bootClassesIn;

    // Milliseconds, not a Duration: java.time is not loaded in premain otherwise.
    Installation(Maker maker, long waitMillis, PrintStream err) {
        this.maker = maker;
        this.waitMillis = waitMillis;
        this.err = err;
    }

    /**
     * The installation, made now unless it was before; null when it failed or another load of portagent has
     * the hooks. For the agent's start thread, which may wait as long as it takes.
     */
    Installed get() {
        lock.lock();
        try {
            return once();
        } finally {
            lock.unlock();
        }
    }

    /** As {@link #get}, also null after the wait for another thread, which is said with {@code meanwhile}. */
    Installed getWithinWait(String meanwhile) {
        if (!lockWithinWait()) {
            err.println("portagent: waited " + waitMillis + " ms for the hooks to be put in place on another"
                    + " thread; " + meanwhile);
            return null;
        }
        try {
            return once();
        } finally {
            lock.unlock();
        }
    }

    // An interrupt of the waiting thread (one loading a class) must not leave a socket class without hooks.
    private boolean lockWithinWait() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return lock.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Installed once() {
        if (!tried) {
            tried = true;
            installing = Thread.currentThread();
            try {
                installed = maker.make(new BootClassesIn(this));
            } catch (Throwable t) {
                err.println("portagent: not installed, the application runs without it: " + t);
            } finally {
                installing = null;
            }
        }
        return installed;
    }

    /** The transformer's question before it weaves a socket class: are the hooks it calls in place? */
    @Override
    public boolean getAsBoolean() {
        if (installing == Thread.currentThread()) {
            // The installation itself loaded a socket class: with another thread loading it at the same time,
            // the two would have waited for each other (see the class comment). Said, because it is our bug.
            err.println("portagent: internal error: making the installation loaded one of the JDK's socket classes;"
                    + " please report it");
            // Woven code may run once the boot loader has the hooks: a socket it opens before the recorder is
            // connected is only unrecorded, and the class stays woven for every later one.
            return bootClassesIn;
        }
        return getWithinWait("a JDK socket class loaded meanwhile is woven later: until then its sockets are found"
                + " only by the /proc scan") != null;
    }

    /** The installation of a real agent: the hooks in java.base, the registry, the recorder. */
    record OfAgent(Instrumentation inst, AgentOptions options, Path reportPath, String summary, boolean attached,
                   PrintStream err) implements Maker {
        @Override
        public Installed make(Runnable bootClassesIn) throws Exception {
            // The sockets no hook can know of. With a -javaagent only the JVM's own and those opened by native code
            // since premain; an unknown socket opened later is native, even if the first /proc pass comes late.
            Set<Long> openBeforeHooks = attached ? null : ProcFds.socketInodesOfThisProcess();
            // Only offered: a start that weaves nothing never unpacks them.
            Libraries.offer(inst, options.cache());
            // Next: nothing that names a bootstrap class may load before the boot loader has them.
            BootstrapInjector.inject(inst, Installer.class.getClassLoader());
            bootClassesIn.run();
            EphemeralRange range = EphemeralRange.read();
            JdkSockets jdk = Instrumenter.openJdk(inst);
            Registry registry = new Registry(range, options.stackDepth(), options.history(), new HookFailures(),
                    Instrumenter.openStacks(inst));
            // Before the hooks: pressure and notifications must see every socket.
            Jmx jmx = Jmx.observe(registry, options);
            if (!Instrumenter.hook(registry, jdk, options.stackDepth(), options.stackRate(), options.accepted())) {
                if (options.verbose()) {
                    err.println(Installer.alreadyInstalled(attached));
                }
                return null;
            }
            ReportService reports = null;
            if (reportPath != null || summary != null) {
                reports = new ReportService(registry, JsonReport.Header.ofThisJvm(Installer.version(),
                        options.effective()), reportPath, options.htmlReport(), summary, err);
            }
            if (options.verbose()) {
                err.println("portagent: hooks in place; ephemeral range " + range.low() + "-" + range.high() + " from "
                        + range.source());
            }
            return new Installed(registry, jdk, jmx, reports, openBeforeHooks);
        }
    }

    private record BootClassesIn(Installation installation) implements Runnable {
        @Override
        public void run() {
            installation.bootClassesIn = true;
        }
    }

    // A class, not a method reference: the installation spins no lambda of its own.
    private static final class HookFailures implements LongSupplier {
        @Override
        public long getAsLong() {
            return Instrumenter.hookFailures();
        }
    }
}
