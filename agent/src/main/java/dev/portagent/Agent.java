package dev.portagent;

import java.lang.instrument.Instrumentation;

/**
 * The entry point for {@code -javaagent:portagent.jar[=options]} and for attaching to a running JVM.
 *
 * <p>Rules for this class, because it runs before or inside someone else's application:
 * <ul>
 *   <li>Nothing escapes: an exception out of premain aborts the JVM. Everything is caught here.</li>
 *   <li>No {@code System.exit}, nothing on stdout; stderr only for a real error or with {@code verbose}.</li>
 *   <li>It names no other portagent class but {@link Installer}: the bootstrap classes must be
 *       defined in the boot loader before anything that uses them is loaded.</li>
 *   <li>The build marks {@code premain} and {@code agentmain} varargs (src/build/MarkVarargs.java): JDK 18+
 *       then calls them by the JVM's native accessor instead of spinning method-handle classes.</li>
 * </ul>
 */
public final class Agent {

    private Agent() {
    }

    public static void premain(String args, Instrumentation inst) {
        start(args, inst, false);
    }

    public static void agentmain(String args, Instrumentation inst) {
        start(args, inst, true);
    }

    private static void start(String args, Instrumentation inst, boolean attached) {
        try {
            Installer.install(args, inst, attached, System.err);
        } catch (Throwable t) {
            System.err.println("portagent: not installed, the application runs without it: " + t);
        }
    }
}
